"""``tracklog.Api``: query projects, runs, metric series, media and files of a store or a
server."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np

from tracklog.sdk import run_artifacts
from tracklog.sdk.api_media import LoggedMedia, read_table
from tracklog.sdk.artifact import Artifact
from tracklog.sdk.run_ref import resolve_run
from tracklog.sdk.stores import get_tracking_uri, open_store
from tracklog.store import params as params_view
from tracklog.store.downsample import minmax_indices
from tracklog.store.location import is_server_uri
from tracklog.store.paging import PageSpec
from tracklog.store.records import (
    Alert,
    FileInfo,
    HistogramItem,
    MediaKey,
    ProjectInfo,
    RunRecord,
)
from tracklog.store.run_query import RunQuery

if TYPE_CHECKING:
    import pandas as pd

    from tracklog.store.interface import TrackingStore
    from tracklog.store.tracking import Store


@dataclass(frozen=True)
class Series:
    """Points of one metric series as numpy arrays, ordered by step then arrival."""

    key: str
    steps: np.ndarray
    values: np.ndarray
    timestamps: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)

    def to_pandas(self) -> pd.DataFrame:
        """The points as a DataFrame with ``step``, ``value`` and ``timestamp`` (ms) columns."""
        import pandas as pd

        return pd.DataFrame(
            {"step": self.steps, "value": self.values, "timestamp": self.timestamps}
        )


class ApiRun:
    """A stored run, read through :class:`Api`."""

    def __init__(self, store: TrackingStore, record: RunRecord) -> None:
        self._store = store
        self._record = record

    def __getattr__(self, name: str) -> Any:
        # id, name, project, status, start_time, end_time, user, host, group, job_type, notes,
        # exit_code, error, config, tags, labels, summary come straight from the record.
        return getattr(self._record, name)

    def __repr__(self) -> str:
        r = self._record
        return f"<ApiRun {r.id} {r.name!r} {r.status} in {r.project!r}>"

    def series(
        self, key: str, context: dict[str, Any] | None = None, samples: int | None = None
    ) -> Series:
        """Every point of metric ``key`` (in ``context``); with ``samples``, at most that many,
        chosen to keep each stretch's minimum and maximum."""
        steps, values, times = self._store.read_series(self.id, key, context)
        if samples is not None:
            keep = minmax_indices(values, samples)
            steps, values, times = steps[keep], values[keep], times[keep]
        return Series(key, steps, values, times)

    def metric_keys(self) -> list[str]:
        """Keys of the run's metric series without context."""
        return sorted(s.key for s in self._store.series_stats(self.id) if not s.context)

    def history(
        self, keys: Sequence[str] | None = None, context: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Every point of ``keys`` (default: all) as a DataFrame: a ``step`` column and one
        column per key (W&B's shape). Points at a repeated step get rows of their own."""
        import pandas as pd

        columns = {}
        for key in keys if keys is not None else self.metric_keys():
            s = self.series(key, context)
            # Steps come sorted; number repeats of a step 0, 1, ... so no point is merged away.
            repeat = np.arange(len(s.steps)) - np.searchsorted(s.steps, s.steps, side="left")
            index = pd.MultiIndex.from_arrays([s.steps, repeat], names=["step", "_n"])
            columns[key] = pd.Series(s.values, index=index)
        if not columns:
            return pd.DataFrame({"step": pd.Series(dtype="int64")})
        joined = pd.concat(columns, axis=1, join="outer").sort_index()
        return joined.reset_index().drop(columns="_n")

    def media(self, key: str, context: dict[str, Any] | None = None) -> list[LoggedMedia]:
        """The values logged as media ``key`` (in ``context``, where given), by step."""
        return [
            LoggedMedia(self._store, self.id, m) for m in self._store.media(self.id, key, context)
        ]

    def media_keys(self) -> list[MediaKey]:
        """Each media and histogram key of the run, with its kind, count and last step."""
        return self._store.media_keys(self.id)

    def histograms(self, key: str, context: dict[str, Any] | None = None) -> list[HistogramItem]:
        """The histograms logged as ``key`` by step: each one's ``step``, ``edges`` and
        ``counts`` (numpy arrays)."""
        return self._store.histograms(self.id, key, context)

    def table(
        self, key: str, step: int | None = None, context: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """The table (or plot data) logged as ``key`` as a DataFrame: the last one logged, or
        the one at ``step``."""
        return read_table(self._store, self.id, key, step, context)

    def config_history(self) -> list[dict[str, Any]]:
        """Each change of an existing config key: key, old, new, changed_at (ms)."""
        return self._store.config_history(self.id)

    def alerts(self) -> list[Alert]:
        """The run's alerts (``run.alert``) in the order they were recorded."""
        return self._store.alerts(self.id)

    def logged_artifacts(self) -> list[Artifact]:
        """The artifact versions this run logged."""
        return run_artifacts.logged(self._store, self.id)

    def used_artifacts(self) -> list[Artifact]:
        """The artifact versions this run used."""
        return run_artifacts.used(self._store, self.id)

    def files(self) -> list[str]:
        """Paths of the run's files."""
        return [f.path for f in self._store.list_files(self.id)]

    def file_infos(self) -> list[FileInfo]:
        """The run's files with their sizes."""
        return self._store.list_files(self.id)

    def download(self, path: str, dest: str | os.PathLike[str] = ".") -> Path:
        """Copy file ``path`` of the run into folder ``dest``; return the local path."""
        target = Path(dest) / Path(path).name
        return self._store.download_file(self.id, path, target)


class Runs(Sequence[ApiRun]):
    """The runs a query matched, in order; W&B-style, they are loaded in pages as they are
    used, so ``len()`` of a query over 100,000 runs does not build 100,000 records."""

    PAGE = 1000

    def __init__(
        self,
        store: Any,
        ids: list[str],
        loaded: Sequence[RunRecord] = (),
        crashed: Mapping[str, tuple[int, str]] | None = None,
    ) -> None:
        self._store = store
        self._ids = ids
        self._crashed = crashed or {}
        self._runs: dict[str, ApiRun] = {r.id: self._wrap(r) for r in loaded}

    def _wrap(self, record: RunRecord) -> ApiRun:
        return ApiRun(self._store, as_crashed(record, self._crashed))

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> ApiRun: ...
    @overload
    def __getitem__(self, index: slice) -> list[ApiRun]: ...
    def __getitem__(self, index: int | slice) -> ApiRun | list[ApiRun]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        run_id = self._ids[index]
        if run_id not in self._runs:
            start = (index % len(self)) // self.PAGE * self.PAGE
            page = self._ids[start : start + self.PAGE]
            self._runs.update((r.id, self._wrap(r)) for r in self._store.get_runs(page))
        return self._runs[run_id]

    def __iter__(self) -> Iterator[ApiRun]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<Runs: {len(self)} runs>"

    def to_pandas(self) -> pd.DataFrame:
        """One row per run: attributes, then ``params.*``, ``metrics.*`` and ``tags.*`` columns
        (the names the filter grammar uses)."""
        import pandas as pd

        rows = []
        for run in self:
            r: RunRecord = run._record
            row: dict[str, Any] = {
                "run_id": r.id,
                "name": r.name,
                "project": r.project,
                "status": r.status,
                "start_time": pd.to_datetime(r.start_time, unit="ms"),
                "end_time": pd.to_datetime(r.end_time, unit="ms") if r.end_time else pd.NaT,
                "user": r.user,
                "labels": list(r.labels),
            }
            row |= {f"params.{k}": v for k, v in params_view.flatten(r.config).items()}
            row |= {f"metrics.{k}": v for k, v in r.summary.items()}
            row |= {f"tags.{k}": v for k, v in r.tags.items()}
            rows.append(row)
        return pd.DataFrame(rows)


class Api:
    """Read access to a store: ``Api()`` uses ``set_tracking_uri``/``$TRACKLOG_URI``/./tracklog.

    A server's ``http(s)://`` URL is queried over HTTP with the same results as the store it
    serves (``$TRACKLOG_TOKEN`` is sent as the bearer token).
    """

    def __init__(self, uri: str | None = None) -> None:
        target = uri if uri is not None else get_tracking_uri()
        self.store: TrackingStore = open_store(target)
        # The store itself when local, whose runs are paged by id (a server's client needs no
        # SQLAlchemy to tell it apart).
        self._local = None if is_server_uri(target) else cast("Store", self.store)

    def _crashed(self) -> dict[str, tuple[int, str]]:
        """Runs whose process is gone, shown as crashed without writing (a server marks its
        own, a local store's are marked by the next writer: ``init()``, a CLI command)."""
        return self.store.crashed_runs()

    def projects(self) -> list[ProjectInfo]:
        """Every project with its run count and last activity."""
        return self.store.projects()

    def runs(
        self,
        project: str | Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
        include_deleted: bool = False,
    ) -> Runs:
        """Runs of ``project`` (a name, several, or all) matching MLflow's filter grammar,
        e.g. ``"metrics.val_acc > 0.9 and params.optimizer.lr < 1e-4"``. A filter compares the
        stored status: a crash shown but not yet recorded by a writer still reads RUNNING there."""
        projects = [project] if isinstance(project, str) else project
        if isinstance(order_by, str):
            order_by = [order_by]
        lifecycle = "all" if include_deleted else "active"
        query = RunQuery.of(projects, filter, order_by, lifecycle, PageSpec.first(limit))
        if self._local is not None:
            ids = self._local.search_page(query).items
            return Runs(self._local, ids, crashed=self._crashed())
        found = self.store.search_runs_page(query).items  # a server answers with whole records
        return Runs(self.store, [r.id for r in found], found)

    def artifact(self, name: str) -> Artifact:
        """The artifact version ``project/name:alias`` (or ``:vN``; ``entity/`` first is
        accepted) names, with its files and lineage (``logged_by()``, ``used_by()``)."""
        return run_artifacts.find(self.store, name)

    def run(self, run_id: str) -> ApiRun:
        """The run with this id, or whose id starts with it (4+ characters, as the CLI takes);
        :class:`~tracklog.errors.NotFoundError` if none, InvalidValueError listing the
        candidates if the prefix is ambiguous."""
        return ApiRun(self.store, as_crashed(resolve_run(self.store, run_id), self._crashed()))


def as_crashed(record: RunRecord, crashed: Mapping[str, tuple[int, str]]) -> RunRecord:
    """``record`` as it reads once its crash is recorded, if ``crashed`` names it."""
    if record.status != "RUNNING" or record.id not in crashed:
        return record
    end_time, error = crashed[record.id]
    return dataclasses.replace(record, status="FAILED", end_time=end_time, error=error)
