"""``RemoteStore``: a tracklog server used through the store interface.

It implements :class:`~tracklog.store.interface.TrackingStore` as
:class:`~tracklog.store.tracking.Store` does, so the SDK, ``Api``, ``tracklog sync`` and the
CLI call it the same way; they get the same record types back and the same exceptions (see
:mod:`tracklog.client.http`). Metric batches travel as framed records to
``POST /api/v1/ingest`` with their batch ids, so a retried batch is applied once; series come
back as raw arrays, so NaN and infinities survive bit for bit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from tracklog.client import decode
from tracklog.client.http import HttpSession
from tracklog.client.settings import ClientSettings
from tracklog.errors import InvalidValueError, NotFoundError, StoreUnavailableError
from tracklog.store import media_rules, validation
from tracklog.store.artifacts import safe_relpath, upload_plan
from tracklog.store.liveness import owner_columns
from tracklog.store.paging import Page, PageSpec, token
from tracklog.store.records import (
    Alert,
    FileInfo,
    HistogramItem,
    MediaItem,
    MediaKey,
    MediaRecord,
    ProjectInfo,
    RunRecord,
    SeriesPoints,
    SeriesStats,
)
from tracklog.store.run_query import RunQuery
from tracklog.store.wire import MEDIA_TYPE, SERIES_MEDIA_TYPE, decode_series, encode_record

_CHUNK = 1 << 20


class RemoteStore:
    """The store behind a tracklog server at ``url`` (``http://`` or ``https://``).

    ``token`` (default ``$TRACKLOG_TOKEN``) is sent as ``Authorization: Bearer``; the
    requests go through the transport :class:`~tracklog.client.http.HttpSession` picks.
    Thread-safe; one connection pool per instance.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        settings = settings or ClientSettings.from_env(url)
        if token is not None:
            settings = dataclasses.replace(settings, token=token)
        self.settings = settings
        self.http = HttpSession(url, settings)
        self.url = self.http.url

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    def close(self) -> None:
        """Close the connections to the server."""
        self.http.close()

    # -- projects -------------------------------------------------------------------------

    def projects(self, name: str | None = None) -> list[ProjectInfo]:
        """Every project the caller may read (or only the one called ``name``) with its
        number of active runs and last activity."""
        params = None if name is None else {"name": name}
        answer = self.http.call("GET", "/api/v1/projects", params=params)
        return [decode.project_info(p) for p in answer["projects"]]

    def project_id(self, name: str) -> int:
        """The id of an existing project; raises :class:`NotFoundError` naming it."""
        for project in self.projects(name):
            return project.id
        raise NotFoundError(f"no project named {name!r}")

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        project: str,
        *,
        run_id: str | None = None,
        name: str | None = None,
        user: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        notes: str | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
        pid: int | None = None,
        pid_started: int | None = None,
        host: str | None = None,
        config: Mapping[str, Any] | None = None,
        labels: Sequence[str] | None = None,
        owned: bool = True,
    ) -> RunRecord:
        """Create a RUNNING run; like the local store, owned by this process by default
        (``owned=False``: by none, so it is never taken for crashed)."""
        body = {
            "project": project,
            "run_id": run_id,
            "name": name,
            "user": user,
            "group": group,
            "job_type": job_type,
            "notes": notes,
            "parent_run_id": parent_run_id,
            "start_time": start_time,
            "config": None if config is None else dict(config),
            "labels": None if labels is None else list(labels),
            **_owner(owned, pid, host, pid_started),
        }
        return decode.run_record(self.http.call("POST", "/api/v1/runs", body))

    def has_run(self, run_id: str) -> bool:
        """Whether a run with this id exists (in any lifecycle stage)."""
        return self.has_run_within(run_id, None)

    def has_run_within(self, run_id: str, timeout: float | None) -> bool:
        """:meth:`has_run`, waiting at most ``timeout`` seconds for the server's answer
        (None: the client's usual timeout); ``init()`` bounds its wait with it."""
        try:
            self.http.call("GET", _run(run_id), timeout=timeout)
        except NotFoundError:
            return False
        return True

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id; raises :class:`NotFoundError` naming the id."""
        return decode.run_record(self.http.call("GET", _run(run_id)))

    def resume_run(
        self,
        run_id: str,
        pid: int | None = None,
        host: str | None = None,
        pid_started: int | None = None,
        owned: bool = True,
    ) -> None:
        """Mark a run RUNNING again, owned by process ``pid`` (default: this one; none with
        ``owned=False``)."""
        self.http.call("POST", _run(run_id, "resume"), _owner(owned, pid, host, pid_started))

    def finish_run(
        self,
        run_id: str,
        status: str,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        end_time: int | None = None,
    ) -> None:
        """End a run with ``status`` (FINISHED, FAILED or KILLED)."""
        body = {"status": status, "exit_code": exit_code, "error": error, "end_time": end_time}
        self.http.call("POST", _run(run_id, "finish"), body)

    def update_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Rename a run, replace its notes, or merge keys into its metadata."""
        self.http.call("PATCH", _run(run_id), {"name": name, "notes": notes, "metadata": metadata})

    def heartbeat(self, run_id: str) -> None:
        """Record that the run's process is alive."""
        self.http.call("POST", _run(run_id, "heartbeat"))

    def delete_run(self, run_id: str) -> None:
        """Move a run to the trash."""
        self.http.call("DELETE", _run(run_id))

    def restore_run(self, run_id: str) -> None:
        """Bring a run back from the trash."""
        self.http.call("POST", _run(run_id, "restore"))

    def crashed_runs(self) -> dict[str, tuple[int, str]]:
        """None to find here: the server records runs whose process is gone (or whose
        heartbeat stopped) itself, at start and every minute; see ``tracklog.server.upkeep``."""
        return {}

    def mark_crashed_runs(self) -> list[str]:
        """Nothing to do here: the server records its crashed runs itself (see
        :meth:`crashed_runs`)."""
        return []

    # -- config, tags, labels, summary ----------------------------------------------------

    def set_config(
        self,
        run_id: str,
        updates: Mapping[str, Any],
        *,
        immutable: bool = False,
        change_id: str | None = None,
    ) -> list[tuple[str, Any, Any]]:
        """Deep-merge ``updates`` into the run's config; return the (key, old, new) changes.
        ``immutable`` refuses a changed value; a ``change_id`` applied before changes nothing."""
        body = {"updates": dict(updates), "immutable": immutable, "change_id": change_id}
        answer = self.http.call("POST", _run(run_id, "config"), body)
        return [(c["key"], c["old"], c["new"]) for c in answer["changes"]]

    def add_alert(
        self,
        run_id: str,
        alert_id: str,
        title: str,
        text: str,
        level: str = "INFO",
        time_ms: int | None = None,
    ) -> bool:
        """Record an alert of the run; False when ``alert_id`` was recorded before."""
        body = {"alert_id": alert_id, "title": title, "text": text, "level": level}
        answer = self.http.call("POST", _run(run_id, "alerts"), {**body, "time_ms": time_ms})
        return bool(answer["created"])

    def alerts(self, run_id: str) -> list[Alert]:
        """The run's alerts in the order they were recorded."""
        answer = self.http.call("GET", _run(run_id, "alerts"))
        return [Alert(**a) for a in answer["alerts"]]

    def config_history(self, run_id: str) -> list[dict[str, Any]]:
        """Every change of an existing config key, oldest first."""
        return self.http.call("GET", _run(run_id, "config/history"))["changes"]

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set key → value tags; existing keys are overwritten."""
        self.http.call("POST", _run(run_id, "tags"), {"tags": dict(tags)})

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove one tag; raises :class:`NotFoundError` if the run has no such tag."""
        self.http.call("DELETE", _run(run_id, "tags/" + quote(key, safe="")))

    def add_labels(self, run_id: str, labels: Iterable[str]) -> None:
        """Add plain labels to a run."""
        self.http.call("POST", _run(run_id, "labels"), {"labels": list(labels)})

    def remove_labels(self, run_id: str, labels: Iterable[str]) -> None:
        """Remove plain labels from a run (missing ones are ignored)."""
        self.http.call("POST", _run(run_id, "labels/remove"), {"labels": list(labels)})

    def set_summary(self, run_id: str, values: Mapping[str, Any]) -> None:
        """Set summary values by hand; they win over the values derived from metrics."""
        self.http.call("POST", _run(run_id, "summary"), {"values": dict(values)})

    def set_metric_defs(self, run_id: str, defs: Sequence[Mapping[str, Any]]) -> None:
        """Store the run's ``define_metric`` declarations."""
        self.http.call("POST", _run(run_id, "metric-defs"), {"defs": [dict(d) for d in defs]})

    # -- metrics --------------------------------------------------------------------------

    def append_metrics(
        self, run_id: str, batch: Sequence[SeriesPoints], batch_id: str | None = None
    ) -> None:
        """Append points to the run's series; a batch with an id the server has seen is
        skipped there, so sending it again is harmless."""
        for points in batch:
            validation.series_points(points)
        args = {"run_id": run_id, "batch": list(batch), "batch_id": batch_id}
        self.ingest(encode_record("append_metrics", args))

    def ingest(self, records: bytes) -> dict[str, Any]:
        """Send framed records (a journal's bytes) to be applied in order; the server answers
        ``{"applied": n, "consumed_bytes": k}``."""
        resp = self.http.send(
            "POST", "/api/v1/ingest", records, headers={"content-type": MEDIA_TYPE}
        )
        answer = resp.json()
        if answer.get("consumed_bytes") != len(records):
            # Whole records were sent: a server that read fewer did not get them (a proxy
            # mangled the body, say); retrying keeps them rather than counting them as sent.
            raise StoreUnavailableError(
                f"the tracklog server at {self.url} read {answer.get('consumed_bytes')} of "
                f"{len(records)} bytes of records"
            )
        return answer

    # -- media and histograms -------------------------------------------------------------

    def log_media(
        self, run_id: str, items: Sequence[MediaItem], batch_id: str | None = None
    ) -> None:
        """Store media values; checked here first, sent as one ingest record (files raw after
        its header), skipped by the server if ``batch_id`` was applied there before."""
        checked = [media_rules.media_item(item) for item in items]
        args = {"run_id": run_id, "items": checked, "batch_id": batch_id}
        self.ingest(encode_record("log_media", args))

    def log_histograms(
        self, run_id: str, items: Sequence[HistogramItem], batch_id: str | None = None
    ) -> None:
        """Store histograms, as :meth:`log_media` stores media."""
        checked = [media_rules.histogram_item(item) for item in items]
        args = {"run_id": run_id, "items": checked, "batch_id": batch_id}
        self.ingest(encode_record("log_histograms", args))

    def media(
        self, run_id: str, key: str | None = None, context: Mapping[str, Any] | None = None
    ) -> list[MediaRecord]:
        """The run's media records by key, context and step."""
        answer = self.http.call("GET", _run(run_id, "media"), params=_selection(key, context))
        return [decode.media_record(m) for m in answer["media"]]

    def media_keys(self, run_id: str) -> list[MediaKey]:
        """Each media and histogram key of the run with its kind, count and last step."""
        answer = self.http.call("GET", _run(run_id, "media-keys"))
        return [MediaKey(**k) for k in answer["keys"]]

    def histograms(
        self, run_id: str, key: str, context: Mapping[str, Any] | None = None
    ) -> list[HistogramItem]:
        """The run's histograms of ``key`` by context and step."""
        params = _selection(key, context)
        answer = self.http.call("GET", _run(run_id, "histograms"), params=params)
        return [decode.histogram(key, h) for h in answer["histograms"]]

    def read_series(
        self, run_id: str, key: str, context: Mapping[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every point of a series as (steps, values, timestamps) numpy arrays, by step."""
        ctx = validation.context(context)
        resp = self.http.send(
            "GET",
            _run(run_id, "series/" + quote(key, safe="/")),
            headers={"accept": SERIES_MEDIA_TYPE},
            params={"context": ctx} if ctx else None,
        )
        return decode_series(resp.content)

    def series_stats(self, run_id: str) -> list[SeriesStats]:
        """The statistics of every series of a run."""
        answer = self.http.call("GET", _run(run_id, "series"))
        return [decode.series_stats(s) for s in answer["series"]]

    # -- search ---------------------------------------------------------------------------

    def search_runs(
        self,
        projects: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
        lifecycle: str = "active",
    ) -> list[RunRecord]:
        """Runs matching MLflow's filter grammar, ordered by ``order_by`` (the first ``limit``
        of them): :meth:`search_runs_page` of these arguments."""
        query = RunQuery.of(projects, filter, order_by, lifecycle, PageSpec.first(limit))
        return self.search_runs_page(query).items

    def search_runs_page(self, query: RunQuery) -> Page[RunRecord]:
        """One page of the runs matching ``query``; the server pages with tokens."""
        if query.experiment_ids is not None:
            raise InvalidValueError("a server's run search names projects, not experiment ids")
        page = query.page
        body: dict[str, Any] = {
            "projects": None if query.projects is None else list(query.projects),
            "filter": query.filter,
            "order_by": list(query.order_by) or None,
            "limit": None if page is None else page.limit,
            "lifecycle": query.lifecycle,
        }
        if page is not None and page.offset:
            body["page_token"] = token(page.offset)
        answer = self.http.call("POST", "/api/v1/runs/search", body)
        found = [decode.run_record(r) for r in answer["runs"]]
        return Page(found, 0 if page is None else page.offset, "next_page_token" in answer)

    # -- files ----------------------------------------------------------------------------

    def log_artifact(self, run_id: str, source: Path, dest: str) -> list[FileInfo]:
        """Upload a local file or folder as ``dest`` in the run's files, one PUT per file."""
        stored = []
        for path, rel in upload_plan(Path(source), dest):
            size = path.stat().st_size
            # Streamed as they are: files are often large and already compressed.
            stored.append(self._put(run_id, rel, _read_file(path), size))
        return stored

    def write_file(self, run_id: str, path: str, chunks: Iterable[bytes]) -> FileInfo:
        """Store a stream of bytes as file ``path`` of the run."""
        return self._put(run_id, safe_relpath(path), iter(chunks), None)

    def _put(self, run_id: str, rel: str, chunks: Iterator[bytes], size: int | None) -> FileInfo:
        headers = {"content-type": "application/octet-stream"}
        if size is not None:  # lets the server refuse an oversize file before it is sent
            headers["content-length"] = str(size)
        resp = self.http.send(
            "PUT", _run(run_id, "artifacts/" + quote(rel, safe="/")), chunks, headers=headers
        )
        return decode.file_info(resp.json())

    def list_files(self, run_id: str) -> list[FileInfo]:
        """The files of a run, by path."""
        answer = self.http.call("GET", _run(run_id, "artifacts"))
        return [decode.file_info(f) for f in answer["files"]]

    def download_file(self, run_id: str, path: str, dest: Path) -> Path:
        """Copy a run's file (or every file of a folder) to ``dest``."""
        path, dest = safe_relpath(path), Path(dest)
        try:
            self._download(run_id, path, dest)
        except NotFoundError:
            inside = [f.path for f in self.list_files(run_id) if f.path.startswith(path + "/")]
            if not inside:
                raise
            for rel in inside:
                self._download(run_id, rel, dest / rel[len(path) + 1 :])
        return dest

    def _download(self, run_id: str, path: str, dest: Path) -> None:
        with self.http.stream(_run(run_id, "artifacts/" + quote(path, safe="/"))) as resp:
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(dest.name + ".part")
            with open(partial, "wb") as out:
                for chunk in resp.iter_bytes(_CHUNK):
                    out.write(chunk)
            partial.replace(dest)  # a broken download never leaves a file that looks whole


def _run(run_id: str, tail: str = "") -> str:
    path = f"/api/v1/runs/{quote(run_id, safe='')}"
    return f"{path}/{tail}" if tail else path


def _selection(key: str | None, context: Mapping[str, Any] | None) -> dict[str, str]:
    """The query parameters that pick a key and a context (absent: any)."""
    params = {} if key is None else {"key": key}
    if context is not None:
        params["context"] = validation.context(context) or "{}"
    return params


def _owner(
    owned: bool, pid: int | None, host: str | None, pid_started: int | None
) -> dict[str, Any]:
    """The owner fields of a run sent to the server, filled in here: the server's own
    process would be the wrong default."""
    return {"owned": owned, **owner_columns(owned, pid, pid_started, host)}


def _read_file(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk
