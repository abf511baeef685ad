"""Export runs to portable folders and import them into any store, losslessly.

A run folder holds ``run.json`` (every attribute of the run, its media index and histograms),
``metrics.parquet`` (every metric point, in arrival order within each series), ``files/`` (the
run's files) and ``media/`` (its media files, :mod:`tracklog.store.transfer_media`); see
``docs/portability.md``. Exports are written to a temporary folder renamed at the end; imports
check the whole folder before writing, then write the run in one database transaction.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import insert, select

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError, TracklogError
from tracklog.store import json_output, schema, series, stored_json, transfer_media, validation
from tracklog.store import params as params_view
from tracklog.store.active_project import check_active
from tracklog.store.artifacts import safe_relpath
from tracklog.store.codec import decode
from tracklog.store.engine import reading, writing
from tracklog.store.new_run import NewRun
from tracklog.store.records import SeriesPoints

if TYPE_CHECKING:
    from tracklog.store.tracking import Store

FORMAT = "tracklog-run"
FORMAT_VERSION = 1
RUN_JSON, METRICS, FILES = "run.json", "metrics.parquet", "files"
COLUMNS = ("key", "context", "step", "value", "timestamp")
_COPY = 1 << 20
# runs columns exported as they are (store-specific ones, experiment_id and artifact_uri, not).
_RUN_FIELDS = (
    "name",
    "status",
    "start_time",
    "end_time",
    "heartbeat_at",
    "user",
    "host",
    "pid",
    "pid_started",
    "group_name",
    "job_type",
    "parent_run_id",
    "notes",
    "exit_code",
    "error",
    "lifecycle_stage",
    "deleted_at",
)
_INT_FIELDS = {"start_time", "end_time", "heartbeat_at", "pid", "pid_started", "exit_code"}
_INT_FIELDS |= {"deleted_at"}


class ImportFolderError(InvalidValueError):
    """A run folder is missing, corrupt or partial; the message names the file."""


# -- export -------------------------------------------------------------------------------


def export_runs(store: Store, run_ids: list[str], out: Path) -> list[Path]:
    """Export each run to ``out/<run_id>/``; return the folders written.

    Every target folder must be new. A run's folder appears only once it is complete.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run_ids = list(dict.fromkeys(run_ids))  # a run named twice is exported once
    for rid in run_ids:
        if (out / rid).exists():
            raise AlreadyExistsError(f"{out / rid} exists already; export into another folder")
    return [export_run(store, rid, out) for rid in run_ids]


def export_run(store: Store, run_id: str, out: Path) -> Path:
    """Export one run to ``out/<run_id>/`` (written aside, then renamed into place)."""
    final = Path(out) / run_id
    tmp = Path(tempfile.mkdtemp(prefix=f".{run_id}.", suffix=".partial", dir=out))
    try:
        doc, points = _read_run(store, run_id)
        _write_parquet(points, tmp / METRICS)
        for f in doc["files"]:
            store.download_file(run_id, f["path"], tmp / FILES / f["path"])
        (tmp / FILES).mkdir(exist_ok=True)
        transfer_media.export_files(store, store.get_run(run_id).artifact_uri, tmp)
        (tmp / RUN_JSON).write_text(json_output.export_text(doc), encoding="utf-8")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _read_run(store: Store, run_id: str) -> tuple[dict[str, Any], list[SeriesPoints]]:
    """run.json's content and every series' points in arrival order, from one snapshot."""
    r, cc, tg, lb, sm, fl = (
        schema.runs,
        schema.config_changes,
        schema.run_tags,
        schema.run_labels,
        schema.run_summary,
        schema.run_files,
    )
    ms, ch = schema.metric_series, schema.metric_chunks
    with reading(store.engine) as conn:
        row = conn.execute(select(r).where(r.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        project = conn.execute(
            select(schema.experiments.c.name).where(schema.experiments.c.id == row.experiment_id)
        ).scalar_one()
        history = conn.execute(select(cc).where(cc.c.run_id == run_id).order_by(cc.c.id)).all()
        tags = conn.execute(select(tg).where(tg.c.run_id == run_id).order_by(tg.c.key)).all()
        labels = conn.execute(select(lb).where(lb.c.run_id == run_id).order_by(lb.c.label)).all()
        summary = conn.execute(select(sm).where(sm.c.run_id == run_id).order_by(sm.c.key)).all()
        files = conn.execute(select(fl).where(fl.c.run_id == run_id).order_by(fl.c.path)).all()
        points = []
        for s in conn.execute(
            select(ms.c.id, ms.c.key, ms.c.context)
            .where(ms.c.run_id == run_id)
            .order_by(ms.c.key, ms.c.context)
        ).all():
            blobs = conn.execute(
                select(ch.c.data).where(ch.c.series_id == s.id).order_by(ch.c.seq)
            ).all()
            parts = [decode(b) for (b,) in blobs]
            if not parts:
                continue
            cols = [np.concatenate([p[i] for p in parts]) for i in range(3)]
            points.append(SeriesPoints(s.key, s.context, *cols))
        media_doc = transfer_media.read(conn, run_id)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "id": row.id,
        "project": project,
        **{f: getattr(row, f) for f in _RUN_FIELDS},
        "config": stored_json.loads(row.config),
        "config_history": [
            {
                "key": h.key,
                "old": stored_json.loads(h.old_value),
                "new": stored_json.loads(h.new_value),
                "changed_at": h.changed_at,
            }
            for h in history
        ],
        "tags": {t.key: t.value for t in tags},
        "labels": [x.label for x in labels],
        "summary": [
            {"key": s.key, "value": stored_json.loads(s.value_json), "explicit": bool(s.explicit)}
            for s in summary
        ],
        "metric_defs": stored_json.loads(row.metric_defs),
        "metadata": stored_json.loads(row.run_metadata),
        "metrics": [{"key": p.key, "context": p.context, "count": len(p.steps)} for p in points],
        "files": [{"path": f.path, "size": f.size, "created_at": f.created_at} for f in files],
        **media_doc,
    }
    return doc, points


def _write_parquet(points: list[SeriesPoints], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts = [len(p.steps) for p in points]
    table = pa.table(
        {
            "key": pa.array(
                np.repeat(np.array([p.key for p in points], object), counts), pa.string()
            ),
            "context": pa.array(
                np.repeat(np.array([p.context for p in points], object), counts), pa.string()
            ),
            "step": pa.array(_cat([p.steps for p in points], np.int64), pa.int64()),
            "value": pa.array(_cat([p.values for p in points], np.float64), pa.float64()),
            "timestamp": pa.array(_cat([p.timestamps for p in points], np.int64), pa.int64()),
        }
    )
    pq.write_table(table, path)


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)


# -- import -------------------------------------------------------------------------------


@dataclass
class RunFolder:
    """A run folder read and checked in full, ready to be written."""

    path: Path
    doc: dict[str, Any]
    points: list[SeriesPoints]
    files: Path  # the folder holding the files run.json lists (an export's files/)
    # Checked media rows and histograms (transfer_media.check), and the media files.
    media: dict[str, list[Any]] = field(default_factory=lambda: {"media": [], "histograms": []})
    media_files: list[Path] = field(default_factory=list)


def run_folders(folder: Path) -> list[Path]:
    """The run folders in ``folder``: itself if it holds ``run.json``, else its subfolders
    (hidden ones, such as an unfinished export, are skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFoundError(f"{folder} is not a folder")
    if (folder / RUN_JSON).exists():
        return [folder]
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subs:
        raise ImportFolderError(f"{folder / RUN_JSON}: missing (and no run folders inside)")
    return subs


def read_folder(path: Path) -> RunFolder:
    """Read and check a whole run folder; raises :class:`ImportFolderError` naming the file."""
    path = Path(path)
    rj = path / RUN_JSON
    try:
        text = rj.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportFolderError(f"{rj}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFolderError(f"{rj}: cannot be read: {exc}") from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ImportFolderError(f"{rj}: not valid JSON: {exc}") from None
    try:
        doc = check_doc(doc)
    except TracklogError as exc:
        raise ImportFolderError(f"{rj}: {exc}") from None
    points = _read_parquet(path / METRICS, doc["metrics"])
    for f in doc["files"]:
        local = path / FILES / f["path"]
        if not local.is_file():
            raise ImportFolderError(f"{local}: missing (listed in {rj})")
        if local.stat().st_size != f["size"]:
            raise ImportFolderError(f"{local}: {local.stat().st_size} bytes, {rj} says {f['size']}")
    try:
        media = transfer_media.check(doc)
        media_files = transfer_media.check_files(path, media)
    except TracklogError as exc:
        raise ImportFolderError(f"{rj}: {exc}") from None
    return RunFolder(path, doc, points, path / FILES, media, media_files)


def _need(doc: dict[str, Any], name: str, kinds: tuple[type, ...], optional: bool = False) -> Any:
    if name not in doc:
        raise InvalidValueError(f"field {name!r} is missing")
    value = doc[name]
    if value is None and optional:
        return value
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        want = " or ".join(k.__name__ for k in kinds)
        raise InvalidValueError(f"field {name!r} must be {want}, got {value!r}")
    return value


def check_doc(doc: Any) -> dict[str, Any]:
    """Check run.json's content: format, version, field types and every rule a run created
    in the store obeys (:class:`NewRun`, and the rules of each later write); return the
    document with its values as those rules clean them."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidValueError(f'not a tracklog run export (no "format": "{FORMAT}")')
    if doc.get("format_version") != FORMAT_VERSION:
        raise InvalidValueError(
            f"format_version {doc.get('format_version')!r} is not supported "
            f"(this tracklog reads version {FORMAT_VERSION})"
        )
    for f in ("id", "project", "name", "status", "lifecycle_stage"):
        _need(doc, f, (str,))
    for f in _RUN_FIELDS:
        if f in _INT_FIELDS:
            _need(doc, f, (int,), optional=f != "start_time")
        elif f not in ("name", "status", "lifecycle_stage"):
            _need(doc, f, (str,), optional=True)
    new = NewRun.checked(
        doc["project"],
        run_id=doc["id"],
        name=doc["name"],
        user=doc["user"],
        host=doc["host"],
        group=doc["group_name"],
        job_type=doc["job_type"],
        notes=doc["notes"],
        parent_run_id=doc["parent_run_id"],
        start_time=doc["start_time"],
        pid=doc["pid"],
        pid_started=doc["pid_started"],
        config=_need(doc, "config", (dict,)),
        labels=_need(doc, "labels", (list,)),
    )
    # What only a run that lived can hold: the rules of finishing, heartbeats and the trash.
    validation.status(doc["status"])
    if doc["lifecycle_stage"] not in ("active", "deleted"):
        raise InvalidValueError(
            f"lifecycle_stage must be active or deleted: {doc['lifecycle_stage']!r}"
        )
    for f in ("end_time", "heartbeat_at", "deleted_at"):
        validation.integer(doc[f], f)
    validation.exit_code(doc["exit_code"])
    for h in _need(doc, "config_history", (list,)):
        if not isinstance(h, dict) or set(h) != {"key", "old", "new", "changed_at"}:
            raise InvalidValueError(f"config_history entry {h!r} needs key, old, new, changed_at")
        validation.key(h["key"], "config key")
        validation.json_value(h["old"], f"config history {h['key']!r}: old")
        validation.json_value(h["new"], f"config history {h['key']!r}: new")
        validation.integer(_need(h, "changed_at", (int,)), "changed_at")
    for s in _need(doc, "summary", (list,)):
        if not isinstance(s, dict) or set(s) != {"key", "value", "explicit"}:
            raise InvalidValueError(f"summary entry {s!r} needs key, value, explicit")
        validation.key(s["key"], "summary key")
        validation.json_value(s["value"], f"summary {s['key']!r}")
        _need(s, "explicit", (bool,))
    validation.json_value(_need(doc, "metadata", (dict,)), "metadata")
    for m in _need(doc, "metrics", (list,)):
        if not isinstance(m, dict) or set(m) != {"key", "context", "count"}:
            raise InvalidValueError(f"metrics entry {m!r} needs key, context, count")
        validation.key(m["key"], "metric key")
        _need(m, "context", (str,))
        _need(m, "count", (int,))
    for f in _need(doc, "files", (list,)):
        if not isinstance(f, dict) or set(f) != {"path", "size", "created_at"}:
            raise InvalidValueError(f"files entry {f!r} needs path, size, created_at")
        if safe_relpath(f["path"]) != f["path"]:
            raise InvalidValueError(f"file path {f['path']!r} is not normalised")
        validation.integer(_need(f, "size", (int,)), f"size of {f['path']!r}")
        validation.integer(_need(f, "created_at", (int,)), f"created_at of {f['path']!r}")
    return {
        **doc,
        "config": new.config,
        "labels": list(new.labels),
        "tags": validation.tags(_need(doc, "tags", (dict,))),
        "metric_defs": [validation.metric_def(d) for d in _need(doc, "metric_defs", (list,))],
        "error": validation.error_text(doc["error"]),
    }


def _read_parquet(path: Path, listed: list[dict[str, Any]]) -> list[SeriesPoints]:
    """The series of ``metrics.parquet``, checked against run.json's ``metrics`` list."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise ImportFolderError(f"{path}: missing") from None
    except (OSError, pa.ArrowException) as exc:
        raise ImportFolderError(f"{path}: cannot be read as Parquet: {exc}") from None
    types = {
        "key": pa.types.is_string,
        "context": pa.types.is_string,
        "step": lambda t: t == pa.int64(),
        "value": lambda t: t == pa.float64(),
        "timestamp": lambda t: t == pa.int64(),
    }
    got = {f.name: f.type for f in table.schema}
    if sorted(got) != sorted(COLUMNS) or not all(types[n](got[n]) for n in COLUMNS):
        shown = ", ".join(f"{n} {t}" for n, t in got.items())
        raise ImportFolderError(
            f"{path}: columns must be key string, context string, step int64, value float64, "
            f"timestamp int64; found {shown}"
        )
    if any(table.column(n).null_count for n in COLUMNS):
        raise ImportFolderError(f"{path}: a column holds nulls")
    keys = table.column("key").to_pylist()
    contexts = table.column("context").to_pylist()
    steps = table.column("step").to_numpy()
    values = table.column("value").to_numpy()
    times = table.column("timestamp").to_numpy()
    rows: dict[tuple[str, str], list[int]] = {}
    for i, kc in enumerate(zip(keys, contexts, strict=True)):
        rows.setdefault(kc, []).append(i)
    want = {(m["key"], m["context"]): m["count"] for m in listed}
    found = {kc: len(ix) for kc, ix in rows.items()}
    if found != want or len(want) != len(listed):
        raise ImportFolderError(
            f"{path}: its series and point counts do not match the metrics listed in run.json"
        )
    out = []
    for (k, c), ix in rows.items():
        idx = np.asarray(ix, np.int64)
        p = SeriesPoints(k, c, steps[idx].copy(), values[idx].copy(), times[idx].copy())
        try:
            validation.series_points(p)
        except TracklogError as exc:
            raise ImportFolderError(f"{path}: {exc}") from None
        out.append(p)
    return out


def import_runs(store: Store, folder: Path, new_id: bool = False) -> list[str]:
    """Import every run folder in ``folder`` (see :func:`run_folders`); return the new ids.

    Every folder is read and checked, and every id and project checked against the store,
    before the first run is written. Without ``new_id`` an id that exists in the store is
    refused; so is a run of a project in the trash.
    """
    runs = [read_folder(p) for p in run_folders(folder)]
    ids = [r.doc["id"] for r in runs]
    if len(set(ids)) != len(ids) and not new_id:
        raise AlreadyExistsError(f"{folder} holds the same run id twice; import with --new-id")
    if not new_id:
        for r in runs:
            if store.has_run(r.doc["id"]):
                raise AlreadyExistsError(
                    f"a run with id {r.doc['id']!r} exists already in the store "
                    f"(from {r.path}); import with --new-id to add it under a fresh id"
                )
    for name in dict.fromkeys(r.doc["project"] for r in runs):
        for project in store.projects(name):
            check_active(project.name, project.id, project.lifecycle_stage)
    return [write_run(store, r, uuid.uuid4().hex if new_id else None) for r in runs]


def write_run(store: Store, run: RunFolder, run_id: str | None = None) -> str:
    """Write a checked run folder into the store in one transaction, with its files; return
    the run's id (``run_id`` if given, else the exported one)."""
    doc = run.doc
    run_id = run_id or doc["id"]
    written: str | None = None
    try:
        with writing(store.engine) as conn:
            exp = store.writable_project(conn, doc["project"])
            artifact_uri = store.artifacts.run_root(exp, run_id)
            row = {f: doc[f] for f in _RUN_FIELDS}
            row.update(
                id=run_id,
                experiment_id=exp,
                config=json_output.dumps(doc["config"]),
                metric_defs=json_output.dumps(doc["metric_defs"]),
                run_metadata=json_output.dumps(doc["metadata"]),
                artifact_uri=artifact_uri,
            )
            try:
                conn.execute(insert(schema.runs).values(**row))
            except AlreadyExistsError:
                raise AlreadyExistsError(f"a run with id {run_id!r} exists already") from None
            _insert(
                conn,
                schema.params,
                [
                    params_view.param_row(run_id, k, v)
                    for k, v in params_view.flatten(doc["config"]).items()
                ],
            )
            _insert(
                conn,
                schema.config_changes,
                [
                    {
                        "run_id": run_id,
                        "key": h["key"],
                        "old_value": json_output.dumps(h["old"]),
                        "new_value": json_output.dumps(h["new"]),
                        "changed_at": h["changed_at"],
                    }
                    for h in doc["config_history"]
                ],
            )
            tags = [{"run_id": run_id, "key": k, "value": v} for k, v in doc["tags"].items()]
            _insert(conn, schema.run_tags, tags)
            labels = [{"run_id": run_id, "label": x} for x in sorted(set(doc["labels"]))]
            _insert(conn, schema.run_labels, labels)
            series.append(conn, run_id, run.points)
            _insert(conn, schema.run_summary, [_summary_row(run_id, s) for s in doc["summary"]])
            files = [
                {
                    "run_id": run_id,
                    "path": f["path"],
                    "size": f["size"],
                    "created_at": f["created_at"],
                }
                for f in doc["files"]
            ]
            _insert(conn, schema.run_files, files)
            transfer_media.insert(conn, run_id, run.media)
            if (doc["files"] or run.media_files) and not _exists(artifact_uri):
                written = artifact_uri  # created here: removed again if the import fails
            transfer_media.write_files(store, artifact_uri, run.media_files)
            for f in doc["files"]:
                with open(run.files / f["path"], "rb") as src:
                    store.artifacts.write(
                        artifact_uri, f["path"], iter(partial(src.read, _COPY), b"")
                    )
    except BaseException:
        if written is not None:
            _remove_tree(store, written)
        raise
    return run_id


def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def _summary_row(run_id: str, s: dict[str, Any]) -> dict[str, Any]:
    v = s["value"]
    number = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    return {
        "run_id": run_id,
        "key": s["key"],
        "value_num": None if number is None or number != number else number,
        "value_json": json_output.dumps(v),
        "explicit": s["explicit"],
    }


def _exists(run_root: str) -> bool:
    import fsspec

    fs, base = fsspec.core.url_to_fs(run_root)
    return bool(fs.exists(base))


def _remove_tree(store: Store, run_root: str) -> None:
    """Best effort: remove the files copied for a run whose import failed."""
    import fsspec

    fs, base = fsspec.core.url_to_fs(run_root)
    try:
        if fs.exists(base):
            fs.rm(base, recursive=True)
    except OSError:
        pass
