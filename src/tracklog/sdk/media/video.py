"""Video: frame arrays, encoded as animated GIF with Pillow (no ffmpeg), or video files kept as
they are."""

from __future__ import annotations

import io
import math
import numbers
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.arrays import as_array, shape_text, to_uint8, unit_or_byte_copy
from tracklog.sdk.media.base import Media
from tracklog.sdk.media.files import check_media_size, is_path, read_media_file
from tracklog.store import validation
from tracklog.store.records import HistogramItem, MediaItem

if TYPE_CHECKING:
    import numpy as np

# A GIF stores each frame's duration in hundredths of a second.
MAX_GIF_FPS = 100
_FILE_EXTENSIONS = {"gif", "mp4", "webm"}


class Video(Media):
    """A clip, with W&B's arguments.

    ``data`` is a numpy array (or tensor) of frames T×C×H×W, C 1 (grey) or 3 (RGB), uint8,
    other integers in 0..255 or floats in [0, 1]; or B×T×C×H×W, whose B clips play side by
    side in one grid (2**(floor(log2 B) // 2) rows, as W&B lays them out; missing cells
    black). Frames are encoded as an animated GIF at ``fps`` frames a second (``format``
    ``"gif"``, the only one made without ffmpeg). Or ``data`` is the path of a GIF, MP4 or WebM
    file, kept as it is (``fps`` and ``format`` then do not apply).
    """

    frames: int | None
    width: int | None
    height: int | None

    def __init__(
        self, data: Any, fps: float = 4, caption: str | None = None, format: str = "gif"
    ) -> None:
        self.caption = None if caption is None else validation.free_text(caption, "Video caption")
        self._frames: np.ndarray | None = None
        self._file: bytes | None = None
        self.frames = self.width = self.height = None
        self.fps: float | None = None
        if is_path(data):
            self._file, self._format = read_media_file(data, "Video", _FILE_EXTENSIONS)
            _check_magic(self._file, self._format)
            return
        array = as_array(data)
        if array is None:
            raise InvalidTypeError(
                f"Video takes a numpy array, a tensor or a file path, got {type(data).__name__}"
            )
        if format != "gif":
            raise InvalidValueError(
                f"Video format {format!r}: frames are encoded as 'gif' (other formats need "
                "ffmpeg; give a video file instead)"
            )
        if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 0 < fps <= MAX_GIF_FPS:
            raise InvalidValueError(
                f"Video fps must be a number in (0, {MAX_GIF_FPS}] (a GIF frame lasts at least "
                f"1/100 s), got {fps!r}"
            )
        self._format, self.fps = "gif", float(fps)
        batch = _batched(array)
        clips, self.frames, _, height, width = batch.shape
        rows, cols = _grid(clips)
        self.height, self.width = rows * height, cols * width
        # LZW codes are at most 12 bits a pixel, so 2 bytes a pixel bounds a frame.
        check_media_size(self.frames * (2 * self.width * self.height + 1024) + 1024, "Video")
        self._frames = unit_or_byte_copy(batch, "Video")

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        facts = {"fps": self.fps, "frames": self.frames, "width": self.width, "height": self.height}
        if self._file is None:
            data = self._gif()
        else:
            data = self._file
            if self._format == "gif":
                facts = _gif_facts(data)
        meta = {"caption": self.caption, **facts}
        return [MediaItem(key, context, step, time_ms, "video", data, self._format, meta)]

    def _gif(self) -> bytes:
        from PIL import Image as PILModule

        assert self._frames is not None and self.fps is not None
        frames = _tiled(to_uint8(self._frames))
        # Pillow's own RGB-to-palette step (median cut) takes ~15 times as long as fast
        # octree, for a like error on natural frames.
        octree = PILModule.Quantize.FASTOCTREE
        images = [
            PILModule.fromarray(f[:, :, 0])
            if f.shape[2] == 1
            else PILModule.fromarray(f).quantize(256, method=octree)
            for f in frames
        ]
        out = io.BytesIO()
        images[0].save(
            out,
            "GIF",
            save_all=True,
            append_images=images[1:],
            duration=1000 / self.fps,
            loop=0,
        )
        return out.getvalue()


def _gif_facts(data: bytes) -> dict[str, Any]:
    """Frame rate, frames and size of a GIF file, read on the writer thread (counting frames
    reads the whole file); those PIL cannot read are None."""
    from PIL import Image as PILModule

    facts: dict[str, Any] = dict.fromkeys(("fps", "frames", "width", "height"))
    try:
        with PILModule.open(io.BytesIO(data)) as gif:
            facts["width"], facts["height"] = gif.size
            duration = gif.info.get("duration")
            facts["fps"] = 1000 / duration if duration else None
            facts["frames"] = getattr(gif, "n_frames", 1)
    except (OSError, ValueError, EOFError):
        pass
    return facts


def _check_magic(data: bytes, ext: str) -> None:
    ok = {
        "gif": data[:6] in (b"GIF87a", b"GIF89a"),
        "mp4": data[4:8] == b"ftyp",
        "webm": data[:4] == b"\x1a\x45\xdf\xa3",  # the EBML header
    }[ext]
    if not ok:
        raise InvalidValueError(f"Video: the .{ext} file is not {ext.upper()} video")


def _batched(array: np.ndarray) -> np.ndarray:
    """``array`` as B×T×C×H×W, refused naming its shape unless it is T×C×H×W or that, with C
    1 or 3."""
    batch = array[None] if array.ndim == 4 else array
    if batch.ndim != 5 or batch.shape[2] not in (1, 3):
        raise InvalidValueError(
            f"Video: an array of shape {shape_text(array.shape)}; video frames are T×C×H×W "
            "or B×T×C×H×W with C 1 (grey) or 3 (RGB)"
        )
    return batch


def _grid(clips: int) -> tuple[int, int]:
    rows = 2 ** ((clips.bit_length() - 1) // 2)
    return rows, math.ceil(clips / rows)


def _tiled(batch: np.ndarray) -> np.ndarray:
    """B×T×C×H×W clips as T×H'×W'×C frames of a grid of the clips."""
    import numpy as np

    clips, frames, channels, height, width = batch.shape
    rows, cols = _grid(clips)
    if rows * cols > clips:
        blank = np.zeros((rows * cols - clips, *batch.shape[1:]), batch.dtype)
        batch = np.concatenate([batch, blank])
    grid = batch.reshape(rows, cols, frames, channels, height, width)
    return grid.transpose(2, 0, 4, 1, 5, 3).reshape(frames, rows * height, cols * width, channels)
