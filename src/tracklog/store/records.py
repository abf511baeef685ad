"""Plain data objects the store takes and returns: runs, projects, files, metric points,
series statistics, media and histograms. Nothing here imports SQLAlchemy: the HTTP client and
the SDK use them too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class ProjectInfo:
    """A project (MLflow: experiment) with its run count and last activity (ms)."""

    id: int
    name: str
    run_count: int
    last_activity: int | None
    lifecycle_stage: str = "active"


@dataclass
class RunRecord:
    """Everything the store knows about one run, but its metric points and files."""

    id: str
    project: str
    experiment_id: int
    name: str
    status: str
    start_time: int
    end_time: int | None
    user: str | None
    host: str | None
    group: str | None
    job_type: str | None
    notes: str | None
    exit_code: int | None
    error: str | None
    lifecycle_stage: str
    artifact_uri: str
    config: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    metric_defs: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ms(self) -> int | None:
        """Wall time from start to end (None while running)."""
        return None if self.end_time is None else self.end_time - self.start_time


@dataclass(frozen=True)
class FileInfo:
    """A file in a run's artifacts: path relative to the run's root, size in bytes."""

    path: str
    size: int


@dataclass(frozen=True)
class ExperimentRecord:
    """A project as MLflow sees it (an experiment): times in ms, tags key -> value."""

    id: int
    name: str
    artifact_location: str
    lifecycle_stage: str
    created_at: int
    updated_at: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInput:
    """A dataset a run used (MLflow's log-inputs), with the input's tags."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None
    profile: str | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class SeriesPoints:
    """Points of one series in arrival order; ``context`` is canonical JSON ("" for none)."""

    key: str
    context: str
    steps: np.ndarray
    values: np.ndarray
    timestamps: np.ndarray


@dataclass(frozen=True)
class SeriesStats:
    """Running statistics of a series (NaN values are left out of min, max and mean)."""

    key: str
    context: str
    count: int
    finite_count: int
    sum: float | None
    min: float | None
    max: float | None
    first: float | None
    last: float | None
    last_step: int | None
    max_step: int | None
    last_time: int | None

    def summary(self, mode: str) -> float | None:
        """The series' summary value under ``mode`` (last, first, min, max or mean)."""
        if mode == "mean":
            if not self.finite_count or self.sum is None:
                return None
            return self.sum / self.finite_count
        return getattr(self, mode)


MEDIA_KINDS = ("image", "audio", "video", "html", "text", "table", "plot")


@dataclass(frozen=True)
class Attachment:
    """A further file of a media value (a segmentation mask, an image in a table cell); the
    value's ``meta`` refers to it by its content name
    (:func:`tracklog.store.media_names.content_name`)."""

    data: bytes
    ext: str


@dataclass(frozen=True)
class MediaItem:
    """One logged media value on its way to a store, encoded (on the writer thread).

    ``kind`` is one of :data:`MEDIA_KINDS`; ``data`` is the encoded file (PNG or JPEG, WAV,
    GIF, HTML, UTF-8 text, Parquet) and ``ext`` its extension without the dot; ``meta`` is JSON
    (caption, width, height, sample rate, class labels, table columns, ...); ``context`` is
    canonical JSON ("" for none), as in :class:`SeriesPoints`.
    """

    key: str
    context: str
    step: int
    time_ms: int
    kind: str
    data: bytes
    ext: str
    meta: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class MediaRecord:
    """A stored media value: its index row. ``path`` is the file, relative to the run's
    artifact root (``media/<content name>``); ``size`` is its byte count."""

    key: str
    context: str
    step: int
    time_ms: int
    kind: str
    path: str
    size: int
    meta: dict[str, Any]


@dataclass
class HistogramItem:
    """A distribution at one step: ``counts[i]`` values fell in ``[edges[i], edges[i + 1])``
    (the last bin is closed). ``edges`` are float64 and increasing, one more than ``counts``
    (float64, so weighted and density histograms fit)."""

    key: str
    context: str
    step: int
    time_ms: int
    edges: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class Alert:
    """An alert a run raised (W&B's ``run.alert``); ``id`` is chosen by the client, so a
    replayed write records it once."""

    id: str
    run_id: str
    title: str
    text: str
    level: str  # INFO, WARN or ERROR
    time_ms: int


@dataclass(frozen=True)
class MediaKey:
    """One media key of a run, as the UI lists them: its ``kind`` ("histogram" for
    histograms), how many values were logged and the last step."""

    key: str
    context: str
    kind: str
    count: int
    last_step: int
