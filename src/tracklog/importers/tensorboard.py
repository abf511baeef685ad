"""Import a TensorBoard logdir: every folder holding event files becomes a run.

A run's name is its folder's path under the logdir (the logdir's own name for event files
directly in it), its project ``--project`` or the logdir's name; its id is derived from the
folder's absolute path, so a second import finds it. Importing again appends what the
files gained since: for each tag the values already stored are counted and the ones after
them written (event files only grow, and are read oldest first). So an interrupted import
is completed by the next one. ``--follow`` keeps each folder's reader open and writes what
it reads on from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tracklog.errors import NotFoundError
from tracklog.importers.imported_run import ORIGIN, ImportSourceError, stable_id
from tracklog.importers.tensorboard_events import (
    EventValues,
    FolderReader,
    event_files,
    image_ext,
)
from tracklog.store.records import HistogramItem, MediaItem, SeriesPoints

if TYPE_CHECKING:
    from tracklog.store.interface import TrackingStore

SOURCE = "tensorboard"
_BATCH = 500  # media and histograms written per call, to bound a call's memory


@dataclass(frozen=True)
class FolderOutcome:
    """What one import of a run folder did: the run, whether it was created now, the
    points, histograms and media written, and what was left out or damaged."""

    folder: Path
    run_id: str
    name: str
    created: bool
    points: int
    histograms: int
    media: int
    warnings: tuple[str, ...]

    @property
    def wrote(self) -> bool:
        return self.created or bool(self.points or self.histograms or self.media)


def run_folders(logdir: Path) -> list[Path]:
    """The folders under ``logdir`` (itself included) that hold event files."""
    logdir = Path(logdir)
    if not logdir.exists():
        raise NotFoundError(f"{logdir}: no such folder")
    if not logdir.is_dir():
        raise ImportSourceError(f"{logdir}: not a folder; give a TensorBoard logdir")
    found = [logdir] if event_files(logdir) else []
    found += sorted(p for p in logdir.rglob("*") if p.is_dir() and event_files(p))
    if not found:
        raise ImportSourceError(
            f"{logdir}: no TensorBoard event files (*tfevents*) in it or its subfolders"
        )
    return found


def import_logdir(
    store: TrackingStore,
    logdir: Path,
    project: str | None = None,
    readers: dict[Path, FolderReader] | None = None,
) -> Iterator[FolderOutcome]:
    """Import (or bring up to date) each run folder of ``logdir``, one after the other.

    ``readers`` (kept by the caller from one pass to the next, as ``--follow`` does) holds
    each folder's reader, so a later pass reads only what the files gained since."""
    logdir = Path(logdir)
    folders = run_folders(logdir)
    project = project or logdir.resolve().name
    for folder in folders:
        reader = readers.get(folder) if readers is not None else None
        if reader is not None:
            yield import_folder(store, folder, logdir, project, reader.read(), fresh=True)
            continue
        reader = FolderReader(folder)
        yield import_folder(store, folder, logdir, project, reader.read())
        if readers is not None:
            readers[folder] = reader


def import_folder(
    store: TrackingStore,
    folder: Path,
    logdir: Path,
    project: str,
    values: EventValues,
    fresh: bool = False,
) -> FolderOutcome:
    """Write ``values``, read from ``folder``'s event files, that the store does not have:
    all of them if ``fresh`` (read on since the last import), else, for each tag, those
    after the ones stored."""
    path = folder.resolve()
    name = folder.relative_to(logdir).as_posix() if folder != logdir else path.name
    run_id = stable_id(SOURCE, str(path))
    created = not store.has_run(run_id)
    if created:
        store.create_run(
            project,
            run_id=run_id,
            name=name,
            start_time=values.first_time,
            config=values.hparams,
            owned=False,
        )
        store.update_run(run_id, metadata={ORIGIN: {"source": SOURCE, "path": str(path)}})
    elif values.hparams:
        store.set_config(run_id, values.hparams)
    stored_series, stored_media = ({}, {}) if fresh else _stored_counts(store, run_id)
    points = _scalars(store, run_id, values, stored_series)
    histograms = _histograms(store, run_id, values, stored_media)
    media = _media(store, run_id, values, stored_media)
    if created or store.get_run(run_id).status == "RUNNING":  # an import cut short is ended
        store.finish_run(run_id, "FINISHED", end_time=values.last_time)
    warnings = [*values.warnings]
    if values.skipped:
        warnings.append(f"{folder}: left out {', '.join(sorted(values.skipped))}")
    return FolderOutcome(folder, run_id, name, created, points, histograms, media, tuple(warnings))


def _stored_counts(store: TrackingStore, run_id: str) -> tuple[dict[str, int], dict[str, int]]:
    series = {s.key: s.count for s in store.series_stats(run_id) if not s.context}
    media = {k.key: k.count for k in store.media_keys(run_id) if not k.context}
    return series, media


def _scalars(store: TrackingStore, run_id: str, values: EventValues, stored: dict[str, int]) -> int:
    batch = []
    for tag, points in values.scalars.items():
        new = points[stored.get(tag, 0) :]
        if not new:
            continue
        steps, vals, times = zip(*new, strict=True)
        batch.append(
            SeriesPoints(
                tag,
                "",
                np.array(steps, np.int64),
                np.array(vals, np.float64),
                np.array(times, np.int64),
            )
        )
    if batch:
        store.append_metrics(run_id, batch)
    return sum(len(p.steps) for p in batch)


def _histograms(
    store: TrackingStore, run_id: str, values: EventValues, stored: dict[str, int]
) -> int:
    items = [
        HistogramItem(tag, "", step, ms, edges, counts)
        for tag, hists in values.histograms.items()
        for step, ms, edges, counts in hists[stored.get(tag, 0) :]
    ]
    for i in range(0, len(items), _BATCH):
        store.log_histograms(run_id, items[i : i + _BATCH])
    return len(items)


def _media(store: TrackingStore, run_id: str, values: EventValues, stored: dict[str, int]) -> int:
    items: list[MediaItem] = []
    for tag, images in values.images.items():
        for step, ms, data, meta in images[stored.get(tag, 0) :]:
            ext = image_ext(data)
            if ext is None:
                values.skipped.add(f"{tag} (an image in an unknown format)")
                continue
            items.append(MediaItem(tag, "", step, ms, "image", data, ext, _meta(meta, ext)))
    for tag, texts in values.texts.items():
        for step, ms, text in texts[stored.get(tag, 0) :]:
            items.append(MediaItem(tag, "", step, ms, "text", text.encode(), "txt"))
    for i in range(0, len(items), _BATCH):
        store.log_media(run_id, items[i : i + _BATCH])
    return len(items)


def _meta(meta: dict[str, Any], ext: str) -> dict[str, Any]:
    return {"caption": None, **meta, "format": ext}
