"""Images: arrays, tensors, PIL images, files and matplotlib figures, with W&B's masks and
boxes."""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media import overlays
from tracklog.sdk.media.arrays import as_array, shape_text, to_uint8, unit_or_byte_copy
from tracklog.sdk.media.base import Media
from tracklog.sdk.media.files import check_media_size, is_path, read_media_file
from tracklog.sdk.media.png import encode_png, png_bound
from tracklog.store import validation
from tracklog.store.media_names import content_name
from tracklog.store.records import Attachment, HistogramItem, MediaItem

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image as PILImage

# The PIL modes an image is stored in, by channel count.
_CHANNELS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
# Other 8-bit PIL modes, and the stored mode each becomes.
_PIL_CONVERT = {
    **{"1": "L", "P": "RGB", "PA": "RGBA", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB"},
    **{"CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "HSV": "RGB"},
}
# Image files kept as they are: the extensions taken, and the file's format (as PIL reads it)
# to the extension it is stored under.
_FILE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "bmp", "webp"}
_FILE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "BMP": "bmp", "WEBP": "webp"}
_FILE_TYPES = {"png": "png", "jpg": "jpg", "jpeg": "jpg"}
_JPEG_QUALITY = 90


class Image(Media):
    """An image, with W&B's arguments.

    ``data`` is a numpy array H×W or H×W×1/3/4 (uint8, other integers in 0..255, or floats in
    [0, 1]), a tensor C×H×W or H×W (torch's, same values), a PIL image, the path of a PNG,
    JPEG, GIF, BMP or WebP file (kept as it is), or a matplotlib figure (or ``pyplot`` itself:
    its current figure), rendered to PNG at once. ``mode`` (L, LA, RGB, RGBA) converts pixels
    to that PIL mode; ``file_type`` is ``"png"`` (the default) or ``"jpg"``; both apply to
    pixels, not to a file or a figure, which are stored as they are. ``masks`` and ``boxes``
    are W&B's segmentation masks and bounding boxes (see :mod:`tracklog.sdk.media.overlays`).

    The pixels are checked and copied here; the PNG is encoded when the writer stores it.
    """

    width: int
    height: int
    mode: str  # the stored image's PIL mode
    channels: int

    def __init__(
        self,
        data: Any,
        caption: str | None = None,
        mode: str | None = None,
        masks: dict[str, dict[str, Any]] | None = None,
        boxes: dict[str, dict[str, Any]] | None = None,
        file_type: str | None = None,
    ) -> None:
        self.caption = None if caption is None else validation.free_text(caption, "Image caption")
        if mode is not None and mode not in _CHANNELS:
            raise InvalidValueError(
                f"Image mode must be one of {', '.join(_CHANNELS)}, got {mode!r}"
            )
        self._mode = mode
        self._format = _FILE_TYPES.get(file_type or "png", "")
        if not self._format:
            raise InvalidValueError(f"Image file_type must be 'png' or 'jpg', got {file_type!r}")
        self._pixels: np.ndarray | None = None
        self._file: bytes | None = None
        if is_path(data):
            if str(os.fspath(data)).lower().endswith(".svg"):
                raise InvalidValueError(
                    "Image: SVG files are not taken (an SVG can carry script); save it as PNG"
                )
            self._from_file(*read_media_file(data, "Image", _FILE_EXTENSIONS))
        elif _is_figure(data):
            self._from_file(_render(data), "png")
        else:
            self._from_pixels(data)
        self._masks = [] if masks is None else overlays.masks(masks, self.width, self.height)
        self._boxes = {} if boxes is None else overlays.boxes(boxes)

    def _from_pixels(self, data: Any) -> None:
        pixels = _pil_pixels(data)  # a copy already
        if pixels is None:
            array = as_array(data)
            if array is None:
                raise InvalidTypeError(
                    "Image takes a numpy array, a tensor, a PIL image, a file path or a "
                    f"matplotlib figure, got {type(data).__name__}"
                )
            pixels = _hwc(array, tensor=array is not data)
            copied = False
        else:
            copied = True
        self.height, self.width = pixels.shape[:2]
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        self.mode = self._mode or {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
        self.channels = _CHANNELS[self.mode]
        if self._format == "jpg" and "A" in self.mode:
            raise InvalidValueError(
                f"Image file_type 'jpg' cannot hold the alpha channel of a {self.mode} image"
            )
        check_media_size(png_bound(self.height, self.width, self.channels), "Image")
        self._pixels = pixels if copied else unit_or_byte_copy(pixels, "Image")

    def _from_file(self, data: bytes, ext: str) -> None:
        from PIL import Image as PILModule
        from PIL import UnidentifiedImageError

        try:
            with PILModule.open(io.BytesIO(data)) as image:
                size, self.mode, format_ = image.size, image.mode, image.format
                self.channels = len(image.getbands())
        except (UnidentifiedImageError, OSError, ValueError, PILModule.DecompressionBombError):
            raise InvalidValueError(f"Image: the .{ext} file is not a readable image") from None
        if format_ not in _FILE_FORMATS:
            raise InvalidValueError(f"Image: the .{ext} file holds a {format_} image")
        self.width, self.height = size
        self._file = data
        self._format = _FILE_FORMATS[format_]

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        data = self._file if self._file is not None else self._encode()
        meta: dict[str, Any] = {
            "caption": self.caption,
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "channels": self.channels,
            "format": self._format,
        }
        attachments = []
        if self._masks:
            meta["masks"] = {}
            for mask in self._masks:
                png = mask.encoded()
                attachments.append(Attachment(png, "png"))
                meta["masks"][mask.name] = {
                    "file": content_name(png, "png"),
                    "class_labels": mask.class_labels,
                }
        if self._boxes:
            meta["boxes"] = self._boxes
        return [
            MediaItem(
                key, context, step, time_ms, "image", data, self._format, meta, tuple(attachments)
            )
        ]

    def _encode(self) -> bytes:
        import numpy as np
        from PIL import Image as PILModule

        assert self._pixels is not None
        pixels = to_uint8(self._pixels)
        if (1 if pixels.ndim == 2 else pixels.shape[2]) != self.channels:
            pixels = np.asarray(PILModule.fromarray(pixels).convert(self.mode))
        if self._format == "png":
            return encode_png(pixels)
        out = io.BytesIO()
        PILModule.fromarray(pixels).save(out, "JPEG", quality=_JPEG_QUALITY)
        return out.getvalue()


def _hwc(array: np.ndarray, tensor: bool) -> np.ndarray:
    """A view of ``array`` as H×W or H×W×C (a tensor is C×H×W), refused naming its shape."""
    shape = array.shape
    if array.ndim == 2:
        return array
    if tensor and array.ndim == 3 and shape[0] in (1, 3, 4):
        array = array.transpose(1, 2, 0)
    elif tensor or array.ndim != 3 or shape[2] not in (1, 3, 4):
        layout = "C×H×W or H×W" if tensor else "H×W, H×W×1, H×W×3 or H×W×4"
        hint = (
            " (C×H×W? a numpy image is H×W×C: transpose it)"
            if not tensor and array.ndim == 3 and shape[0] in (1, 3, 4)
            else ""
        )
        raise InvalidValueError(
            f"Image: {'a tensor' if tensor else 'an array'} of shape {shape_text(shape)}; "
            f"an image is {layout} with C 1, 3 or 4{hint}"
        )
    return array[:, :, 0] if array.shape[2] == 1 else array


def _pil_pixels(data: Any) -> np.ndarray | None:
    """A copy of a PIL image's pixels in a stored mode; None if ``data`` is no PIL image (PIL
    is loaded only if the caller loaded it)."""
    import numpy as np

    # The writer thread may be importing PIL right now: a partly run module lacks the class
    # yet, and then no instance of it exists either.
    pil_image = getattr(sys.modules.get("PIL.Image"), "Image", None)
    if pil_image is None or not isinstance(data, pil_image):
        return None
    image: PILImage = data
    if image.mode not in _CHANNELS:
        if image.mode not in _PIL_CONVERT:
            raise InvalidValueError(
                f"Image: a PIL image of mode {image.mode} (not 8 bits per channel); convert "
                "it to L, LA, RGB or RGBA"
            )
        target = _PIL_CONVERT[image.mode]
        if image.mode == "P" and "transparency" in image.info:
            target = "RGBA"
        image = image.convert(target)
    if 0 in image.size:
        raise InvalidValueError(f"Image: the PIL image of {image.size[0]}×{image.size[1]} is empty")
    return np.array(image)


def _is_figure(data: Any) -> bool:
    """A matplotlib figure, or the ``pyplot`` module (meaning its current figure)."""
    if getattr(data, "__name__", None) == "matplotlib.pyplot":
        return True
    return type(data).__module__.startswith("matplotlib") and hasattr(data, "savefig")


def _render(figure: Any) -> bytes:
    if getattr(figure, "__name__", None) == "matplotlib.pyplot":
        figure = figure.gcf()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    check_media_size(out.tell(), "Image")
    return out.getvalue()
