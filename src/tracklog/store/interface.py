"""``TrackingStore``: the store interface the SDK, ``Api``, the CLI and the importers use.

Two implementations conform: :class:`tracklog.store.tracking.Store` (a database) and
:class:`tracklog.client.remote.RemoteStore` (a tracklog server over HTTP). Their methods
of this interface have the same signatures (``tests/store/test_interface.py`` compares them,
and mypy checks conformance), so a caller typed against this interface cannot tell them apart.

A new capability that code above ``store/`` uses on either kind of store adds its method here
first. Methods only a local store can offer (whole-run imports, ``gc``'s purge, the id-only
search ``Api`` pages with) stay off the interface; their callers take a ``Store``.

Nothing here imports SQLAlchemy (the light-client contract in ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tracklog.store.paging import Page
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

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class TrackingStore(Protocol):
    """Projects, runs, config, tags, labels, summaries, metric series and files of a store.

    Errors are tracklog's (``tracklog.errors``) on both implementations: a missing run is
    :class:`~tracklog.errors.NotFoundError`, a store that cannot serve now is
    :class:`~tracklog.errors.StoreUnavailableError`, and so on.
    """

    def close(self) -> None:
        """Release the store's connections."""
        ...

    # -- projects -------------------------------------------------------------------------

    def projects(self, name: str | None = None) -> list[ProjectInfo]:
        """Every project (or only the one called ``name``) with its number of active runs and
        last activity; a server lists those its caller may read."""
        ...

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
        """Create a RUNNING run in ``project`` (created if missing); ``run_id`` must be new.
        It is owned by process ``pid`` (default: the calling one); ``owned=False`` records no
        process (the run is ended only by its client, never marked crashed)."""
        ...

    def has_run(self, run_id: str) -> bool:
        """Whether a run with this id exists (in any lifecycle stage)."""
        ...

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id; raises :class:`~tracklog.errors.NotFoundError`."""
        ...

    def resume_run(
        self,
        run_id: str,
        pid: int | None = None,
        host: str | None = None,
        pid_started: int | None = None,
        owned: bool = True,
    ) -> None:
        """Mark an existing run RUNNING again, owned as in :meth:`create_run`."""
        ...

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
        ...

    def update_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Rename a run, replace its notes, or merge keys into its captured metadata."""
        ...

    def heartbeat(self, run_id: str) -> None:
        """Record that the run's process is alive."""
        ...

    def delete_run(self, run_id: str) -> None:
        """Move a run to the trash; :meth:`restore_run` undoes it."""
        ...

    def restore_run(self, run_id: str) -> None:
        """Bring a run back from the trash."""
        ...

    def crashed_runs(self) -> dict[str, tuple[int, str]]:
        """RUNNING runs whose process is gone and not yet recorded so, found without writing:
        id → the end time and error a writer will record (a server records its own, so its
        client finds none)."""
        ...

    def mark_crashed_runs(self) -> list[str]:
        """Record as FAILED every run :meth:`crashed_runs` finds; return their ids."""
        ...

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
        ``immutable``: changing a key's value is refused (MLflow's params); ``change_id``: a
        change applied before is skipped and returns no changes."""
        ...

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
        ...

    def alerts(self, run_id: str) -> list[Alert]:
        """The run's alerts in the order they were recorded."""
        ...

    def config_history(self, run_id: str) -> list[dict[str, Any]]:
        """Every change of an existing config key (key, old, new, changed_at), oldest first."""
        ...

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set key → value tags; existing keys are overwritten."""
        ...

    def add_labels(self, run_id: str, labels: Iterable[str]) -> None:
        """Add plain labels (W&B-style tags) to a run."""
        ...

    def set_summary(self, run_id: str, values: Mapping[str, Any]) -> None:
        """Set summary values by hand; they win over the values derived from metrics."""
        ...

    def set_metric_defs(self, run_id: str, defs: Sequence[Mapping[str, Any]]) -> None:
        """Store the run's ``define_metric`` declarations."""
        ...

    # -- metrics --------------------------------------------------------------------------

    def append_metrics(
        self, run_id: str, batch: Sequence[SeriesPoints], batch_id: str | None = None
    ) -> bool | None:
        """Append points to the run's series; a batch whose ``batch_id`` was applied before
        is skipped. Returns whether it was applied where the store can tell (None: a server
        does not say)."""
        ...

    def read_series(
        self, run_id: str, key: str, context: Mapping[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every point of a series as (steps, values, timestamps) numpy arrays, by step."""
        ...

    def series_stats(self, run_id: str) -> list[SeriesStats]:
        """The statistics of every series of a run."""
        ...

    # -- media and histograms -------------------------------------------------------------

    def log_media(
        self, run_id: str, items: Sequence[MediaItem], batch_id: str | None = None
    ) -> bool | None:
        """Store media values (files content-addressed under the run's ``media/``, plus their
        index rows); the batch is checked whole before anything is written, and one whose
        ``batch_id`` was applied before is skipped. Returns whether it was applied where the
        store can tell (None: a server does not say)."""
        ...

    def log_histograms(
        self, run_id: str, items: Sequence[HistogramItem], batch_id: str | None = None
    ) -> bool | None:
        """Store histograms, as :meth:`log_media` stores media."""
        ...

    def media(
        self, run_id: str, key: str | None = None, context: Mapping[str, Any] | None = None
    ) -> list[MediaRecord]:
        """The run's media records by key, context and step (of ``key``, and of ``context``
        (``{}``: none), only where given)."""
        ...

    def media_keys(self, run_id: str) -> list[MediaKey]:
        """Each media and histogram key of the run with its kind, count and last step."""
        ...

    def histograms(
        self, run_id: str, key: str, context: Mapping[str, Any] | None = None
    ) -> list[HistogramItem]:
        """The run's histograms of ``key`` by context and step."""
        ...

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
        ...

    def search_runs_page(self, query: RunQuery) -> Page[RunRecord]:
        """One page of the runs matching ``query`` (every match if its page is None)."""
        ...

    # -- files ----------------------------------------------------------------------------

    def log_artifact(self, run_id: str, source: Path, dest: str) -> list[FileInfo]:
        """Store a local file or folder as ``dest`` in the run's files."""
        ...

    def list_files(self, run_id: str) -> list[FileInfo]:
        """The files of a run, by path."""
        ...

    def download_file(self, run_id: str, path: str, dest: Path) -> Path:
        """Copy a run's file (or every file of a folder) to ``dest``; return ``dest``."""
        ...
