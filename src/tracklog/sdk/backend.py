"""Where a run's writes go: the store itself (local mode), a journal (offline mode) or nowhere.

A :class:`Backend` is the part of :class:`tracklog.store.tracking.Store` that a run writes
through; the store satisfies it as it is. :class:`JournalBackend` records the same calls in a
journal that ``tracklog sync`` replays into a store later, exactly once.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from tracklog.sdk.journal import JournalWriter
from tracklog.store.artifacts import safe_relpath
from tracklog.store.records import (
    FileInfo,
    HistogramItem,
    MediaItem,
    RunRecord,
    SeriesPoints,
    SeriesStats,
)


class Backend(Protocol):
    """The writes a run makes; :class:`~tracklog.store.tracking.Store` implements them all."""

    def create_run(self, project: str, **kwargs: Any) -> Any: ...
    def resume_run(self, run_id: str) -> None: ...
    def has_run(self, run_id: str) -> bool: ...
    def series_stats(self, run_id: str) -> list[SeriesStats]: ...
    def get_run(self, run_id: str) -> RunRecord: ...
    def set_config(self, run_id: str, updates: Mapping[str, Any]) -> Any: ...
    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None: ...
    def add_labels(self, run_id: str, labels: Iterable[str]) -> None: ...
    def remove_labels(self, run_id: str, labels: Iterable[str]) -> None: ...
    def set_summary(self, run_id: str, values: Mapping[str, Any]) -> None: ...
    def set_metric_defs(self, run_id: str, defs: Sequence[Mapping[str, Any]]) -> None: ...
    def append_metrics(
        self, run_id: str, batch: Sequence[SeriesPoints], batch_id: str | None = None
    ) -> Any: ...
    def log_media(
        self, run_id: str, items: Sequence[MediaItem], batch_id: str | None = None
    ) -> Any: ...
    def log_histograms(
        self, run_id: str, items: Sequence[HistogramItem], batch_id: str | None = None
    ) -> Any: ...
    def heartbeat(self, run_id: str) -> None: ...
    def update_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None: ...
    def finish_run(self, run_id: str, status: str, **kwargs: Any) -> None: ...
    def log_artifact(self, run_id: str, source: Path, dest: str) -> list[FileInfo]: ...
    def add_alert(
        self, run_id: str, alert_id: str, title: str, text: str, level: str, time_ms: int
    ) -> Any: ...


class JournalBackend:
    """Records every write in ``folder/journal.bin`` (offline mode); nothing reaches a store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.journal = JournalWriter(folder)

    def _record(self, op: str, **args: Any) -> None:
        self.journal.append(op, args)

    def create_run(self, project: str, **kwargs: Any) -> None:
        self._record("create_run", project=project, **kwargs)

    def resume_run(self, run_id: str) -> None:
        self._record("resume_run", run_id=run_id)

    def has_run(self, run_id: str) -> bool:
        return False  # unknowable offline; resume="must" is checked when syncing

    def set_config(self, run_id: str, updates: Mapping[str, Any]) -> None:
        # The id makes a replayed change a no-op, so the config history gets it once.
        self._record("set_config", run_id=run_id, updates=dict(updates), change_id=uuid.uuid4().hex)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        self._record("set_tags", run_id=run_id, tags=dict(tags))

    def add_labels(self, run_id: str, labels: Iterable[str]) -> None:
        self._record("add_labels", run_id=run_id, labels=list(labels))

    def remove_labels(self, run_id: str, labels: Iterable[str]) -> None:
        self._record("remove_labels", run_id=run_id, labels=list(labels))

    def set_summary(self, run_id: str, values: Mapping[str, Any]) -> None:
        self._record("set_summary", run_id=run_id, values=dict(values))

    def set_metric_defs(self, run_id: str, defs: Sequence[Mapping[str, Any]]) -> None:
        self._record("set_metric_defs", run_id=run_id, defs=[dict(d) for d in defs])

    def append_metrics(
        self, run_id: str, batch: Sequence[SeriesPoints], batch_id: str | None = None
    ) -> None:
        self._record("append_metrics", run_id=run_id, batch=list(batch), batch_id=_id(batch_id))

    def log_media(
        self, run_id: str, items: Sequence[MediaItem], batch_id: str | None = None
    ) -> None:
        self._record("log_media", run_id=run_id, items=list(items), batch_id=_id(batch_id))

    def log_histograms(
        self, run_id: str, items: Sequence[HistogramItem], batch_id: str | None = None
    ) -> None:
        self._record("log_histograms", run_id=run_id, items=list(items), batch_id=_id(batch_id))

    def heartbeat(self, run_id: str) -> None:
        """Nothing to record: a journal has no liveness."""

    def update_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._record("update_run", run_id=run_id, name=name, notes=notes, metadata=metadata)

    def add_alert(
        self, run_id: str, alert_id: str, title: str, text: str, level: str, time_ms: int
    ) -> None:
        self._record(
            "add_alert",
            run_id=run_id,
            alert_id=alert_id,
            title=title,
            text=text,
            level=level,
            time_ms=time_ms,
        )

    def finish_run(self, run_id: str, status: str, **kwargs: Any) -> None:
        self._record("finish_run", run_id=run_id, status=status, **kwargs)
        self.journal.sync()
        self.close()

    def close(self) -> None:
        """Close the journal file."""
        self.journal.close()

    def log_artifact(self, run_id: str, source: Path, dest: str) -> list[FileInfo]:
        dest = safe_relpath(dest)
        copy = self.folder / "files" / uuid.uuid4().hex
        if source.is_dir():
            shutil.copytree(source, copy, symlinks=False)
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
        self._record(
            "log_artifact", run_id=run_id, source=str(copy.relative_to(self.folder)), dest=dest
        )
        return []

    def stream_file(self, run_id: str, source: Path, dest: str) -> None:
        """A snapshot of a file that is still growing (the console log): nothing offline, where
        nobody can read it before ``tracklog sync``, and copying each snapshot into the journal
        would pile them up. The final version comes through :meth:`log_artifact`."""


class DisabledBackend:
    """``mode="disabled"``: every write is accepted and dropped."""

    def has_run(self, run_id: str) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return _ignore


def _ignore(*_args: Any, **_kwargs: Any) -> None:
    return None


def _id(batch_id: str | None) -> str:
    """A journaled batch's id: the caller's, or a new one (a replay applies it once)."""
    return batch_id or uuid.uuid4().hex
