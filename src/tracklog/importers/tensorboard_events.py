"""The values of TensorBoard event files, read with the ``tensorboard`` package's event-file
loader and proto classes: scalars (``simple_value`` and TF2 scalar tensors), histograms
(``HistogramProto`` and TF2 k×3 tensors), images (``Summary.Image`` and the images
plugin's tensors), text, and the hparams plugin's hyperparameters."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tracklog.importers.imported_run import require

_RECORD_OVERHEAD = 16  # a TFRecord's length (8), its CRC (4) and the data's CRC (4)
_PNG, _JPEG, _GIF = b"\x89PNG", b"\xff\xd8", b"GIF8"


@dataclass
class EventValues:
    """What a run folder's event files hold, in file order, per tag."""

    scalars: dict[str, list[tuple[int, float, int]]] = field(default_factory=dict)
    histograms: dict[str, list[tuple[int, int, np.ndarray, np.ndarray]]] = field(
        default_factory=dict
    )
    images: dict[str, list[tuple[int, int, bytes, dict[str, Any]]]] = field(default_factory=dict)
    texts: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)
    first_time: int | None = None
    last_time: int | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)


def event_files(folder: Path) -> list[Path]:
    """The event files directly in ``folder``, oldest first (their names start with the
    time they were opened)."""
    return sorted(p for p in folder.iterdir() if "tfevents" in p.name and p.is_file())


def read_folder(folder: Path) -> EventValues:
    """Every value of the event files in ``folder``; a damaged or truncated file is read up
    to the damage, with a warning naming the file and the byte offset."""
    return FolderReader(folder).read()


class FolderReader:
    """The event files of one folder, read on from where the last :meth:`read` stopped (the
    loader keeps each file open at its position, and a record cut short by a writer still
    writing it is read whole the next time)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._modules = _modules()
        self._loaders: dict[Path, Any] = {}
        self._offsets: dict[Path, int] = {}
        self._plugins: dict[str, str] = {}  # a tag's plugin, given only with its first value

    def read(self) -> EventValues:
        """The values written since the last call (all of them the first time)."""
        out = EventValues()
        for path in event_files(self.folder):
            loader = self._loaders.get(path)
            if loader is None:
                loader = self._loaders[path] = self._modules.RawEventFileLoader(str(path))
            offset = self._offsets.get(path, 0)
            for raw in loader.Load():
                offset += len(raw) + _RECORD_OVERHEAD
                _event(self._modules.Event.FromString(raw), self._plugins, out, self._modules)
            self._offsets[path] = offset
            size = os.path.getsize(path)
            if offset < size:
                out.warnings.append(
                    f"{path}: damaged or truncated at byte {offset} of {size}; the events "
                    "before it are imported"
                )
        return out


def _event(event: Any, plugins: dict[str, str], out: EventValues, m: Any) -> None:
    ms = round(event.wall_time * 1000)
    if out.first_time is None:
        out.first_time = ms
    out.last_time = ms
    step = event.step
    for v in event.summary.value:
        tag = v.tag
        if v.HasField("metadata") and v.metadata.plugin_data.plugin_name:
            plugins[tag] = v.metadata.plugin_data.plugin_name
        plugin = plugins.get(tag, "")
        kind = v.WhichOneof("value")
        if kind == "simple_value":
            out.scalars.setdefault(tag, []).append((step, v.simple_value, ms))
        elif kind == "histo":
            h = v.histo
            edges, counts = _buckets(
                h.min, h.max, np.asarray(h.bucket_limit, np.float64), np.asarray(h.bucket)
            )
            _histogram(out, tag, step, ms, edges, counts)
        elif kind == "image":
            img = v.image
            meta = {"width": img.width, "height": img.height, "channels": img.colorspace}
            out.images.setdefault(tag, []).append((step, ms, img.encoded_image_string, meta))
        elif kind == "tensor":
            _tensor(tag, plugin, v, step, ms, out, m)
        if plugin == "hparams":
            _hparams(v.metadata.plugin_data.content, out, m)


def _tensor(tag: str, plugin: str, v: Any, step: int, ms: int, out: EventValues, m: Any) -> None:
    t = v.tensor
    if plugin in ("scalars", "") and not t.tensor_shape.dim:
        value = _scalar(t, m)
        if value is not None:
            out.scalars.setdefault(tag, []).append((step, value, ms))
            return
    if plugin == "hparams":
        return
    array = m.make_ndarray(t)
    if plugin == "histograms" and array.ndim == 2 and array.shape[1] == 3:
        if len(array):
            edges = np.concatenate([array[:, 0], array[-1:, 1]]).astype(np.float64)
            _histogram(out, tag, step, ms, edges, array[:, 2].astype(np.float64))
    elif plugin == "images" and array.ndim == 1 and len(array) >= 3:
        meta = {"width": int(array[0]), "height": int(array[1])}
        out.images.setdefault(tag, []).append((step, ms, bytes(array[2]), meta))
    elif plugin == "text":
        text = "\n".join(x.decode("utf-8", "replace") for x in np.ravel(array))
        out.texts.setdefault(tag, []).append((step, ms, text))
    else:
        out.skipped.add(f"{tag} ({plugin or 'tensor'})")


def _scalar(t: Any, m: Any) -> float | None:
    """A scalar tensor's value without building a numpy array where the proto holds it."""
    if t.float_val:
        return float(t.float_val[0])
    if t.double_val:
        return float(t.double_val[0])
    array = m.make_ndarray(t)
    return float(array) if array.dtype.kind in "biuf" else None


def _buckets(
    low: float, high: float, limits: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A ``HistogramProto``'s buckets (right limits; the first starts at ``min``) as edges
    and counts: the empty buckets TensorBoard pads both ends with dropped, and the outer
    edges drawn in to the values' range (TensorFlow's last limit is the largest double)."""
    counts = counts.astype(np.float64)
    full = np.nonzero(counts)[0]
    if not len(full) or len(limits) != len(counts):
        return np.zeros(1), np.zeros(0)
    first, last = int(full[0]), int(full[-1])
    edges = np.concatenate([[limits[first - 1] if first else low], limits[first : last + 1]])
    if len(edges) > 2 and edges[-2] < high < edges[-1]:
        edges[-1] = high
    if len(edges) > 2 and edges[0] < low < edges[1]:
        edges[0] = low
    return edges, counts[first : last + 1]


def _histogram(
    out: EventValues, tag: str, step: int, ms: int, edges: np.ndarray, counts: np.ndarray
) -> None:
    if len(counts) and np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0):
        out.histograms.setdefault(tag, []).append((step, ms, edges, counts))
    else:  # empty, or zero-width buckets (all values equal): no distribution to keep
        out.skipped.add(f"{tag} (a histogram without increasing bucket limits)")


def _hparams(content: bytes, out: EventValues, m: Any) -> None:
    data = m.HParamsPluginData.FromString(content)
    if not data.HasField("session_start_info"):
        return
    for name, value in data.session_start_info.hparams.items():
        kind = value.WhichOneof("kind")
        if kind in ("number_value", "string_value", "bool_value"):
            out.hparams[name] = getattr(value, kind)


def image_ext(data: bytes) -> str | None:
    """The extension of an encoded image, by its first bytes."""
    for magic, ext in ((_PNG, "png"), (_JPEG, "jpg"), (_GIF, "gif")):
        if data.startswith(magic):
            return ext
    return None


def _modules() -> Any:
    """The tensorboard package's reader and protos, or how to install them."""
    require("tensorboard", "tracklog[tensorboard]", "TensorBoard event files")
    from types import SimpleNamespace

    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
    from tensorboard.util.tensor_util import make_ndarray

    return SimpleNamespace(
        RawEventFileLoader=RawEventFileLoader,
        Event=Event,
        HParamsPluginData=HParamsPluginData,
        make_ndarray=make_ndarray,
    )
