"""Segmentation masks and bounding boxes of an :class:`~tracklog.sdk.media.image.Image`, in
W&B's shapes, checked and copied when the image is made.

A mask set is ``{"mask_data": 2-D array of class ids | "path": PNG file, "class_labels":
{id: name}}``; a box set is ``{"box_data": [box, ...], "class_labels": {id: name}}``, each box
``{"position": {"minX", "maxX", "minY", "maxY"} | {"middle": [x, y], "width", "height"},
"domain": "pixel" (else fractions of the image), "class_id", "box_caption", "scores"}``.
"""

from __future__ import annotations

import io
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.arrays import as_array, shape_text
from tracklog.sdk.media.files import is_path, read_media_file
from tracklog.sdk.media.png import encode_png
from tracklog.store import validation

if TYPE_CHECKING:
    import numpy as np

# Boxes and class labels live in the media index's JSON row, so a set holds at most this many.
MAX_BOXES = 10_000
MAX_CLASS_LABELS = 10_000
_MASK_KEYS = {"mask_data", "path", "class_labels"}
_BOX_SET_KEYS = {"box_data", "class_labels"}
_BOX_KEYS = {"position", "domain", "class_id", "box_caption", "scores"}
_CORNERS = {"minX", "maxX", "minY", "maxY"}
_CENTRE = {"middle", "width", "height"}


@dataclass(frozen=True)
class Mask:
    """One mask set: class ids per pixel (uint8 H×W) or a PNG file kept as it is."""

    name: str
    class_labels: dict[str, str]
    pixels: np.ndarray | None = None
    png: bytes | None = None

    def encoded(self) -> bytes:
        """The mask's PNG file."""
        if self.png is not None:
            return self.png
        assert self.pixels is not None
        return encode_png(self.pixels)


def masks(value: Any, width: int, height: int) -> list[Mask]:
    """The mask sets of an image of ``width`` × ``height`` pixels, each refused naming what is
    wrong: not a dict, neither or both of ``mask_data`` and ``path``, a shape other than the
    image's, class ids that are not integers in 0..255, bad class labels."""
    out = []
    for name, spec in _sets(value, "masks").items():
        what = f"Image mask {name!r}"
        _keys(spec, _MASK_KEYS, what)
        labels = class_labels(spec.get("class_labels"), what)
        if ("mask_data" in spec) == ("path" in spec):
            raise InvalidValueError(f"{what}: give either 'mask_data' (an array) or 'path'")
        if "path" in spec:
            png = _mask_file(spec["path"], what, width, height)
            out.append(Mask(name, labels, png=png))
        else:
            out.append(
                Mask(name, labels, pixels=_mask_pixels(spec["mask_data"], what, width, height))
            )
    return out


def boxes(value: Any) -> dict[str, dict[str, Any]]:
    """The box sets as the image's JSON metadata, each box refused naming what is wrong."""
    out = {}
    for name, spec in _sets(value, "boxes").items():
        what = f"Image boxes {name!r}"
        _keys(spec, _BOX_SET_KEYS, what)
        data = spec.get("box_data")
        if not isinstance(data, list | tuple):
            raise InvalidTypeError(
                f"{what}: 'box_data' must be a list of boxes, got {type(data).__name__}"
            )
        if len(data) > MAX_BOXES:
            raise InvalidValueError(
                f"{what}: {len(data):,} boxes, the limit is {MAX_BOXES:,} per set"
            )
        out[name] = {
            "box_data": [_box(box, f"{what} box {i}") for i, box in enumerate(data)],
            "class_labels": class_labels(spec.get("class_labels"), what),
        }
    return out


def class_labels(value: Any, what: str) -> dict[str, str]:
    """``{class id: name}`` with the ids as JSON keys (decimal strings); None gives ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidTypeError(
            f"{what}: 'class_labels' must be a dict of int -> str, got {type(value).__name__}"
        )
    if len(value) > MAX_CLASS_LABELS:
        raise InvalidValueError(
            f"{what}: {len(value):,} class labels, the limit is {MAX_CLASS_LABELS:,}"
        )
    return {
        str(_integer(k, f"{what}: a class id")): validation.free_text(
            v, f"{what}: the label of class {k!r}", validation.MAX_NAME
        )
        for k, v in value.items()
    }


def _sets(value: Any, what: str) -> dict[str, Mapping[str, Any]]:
    if not isinstance(value, Mapping):
        raise InvalidTypeError(
            f"Image {what} must be a dict of name -> dict, got {type(value).__name__}"
        )
    for name, spec in value.items():
        validation.key(name, f"Image {what} name")
        if not isinstance(spec, Mapping):
            raise InvalidTypeError(
                f"Image {what} {name!r} must be a dict, got {type(spec).__name__}"
            )
    return dict(value)


def _keys(spec: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = set(spec) - allowed
    if unknown:
        raise InvalidValueError(
            f"{what}: unknown keys {sorted(map(str, unknown))}; it takes {sorted(allowed)}"
        )


def _mask_pixels(data: Any, what: str, width: int, height: int) -> np.ndarray:
    import numpy as np

    array = as_array(data)
    if array is None:
        raise InvalidTypeError(
            f"{what}: 'mask_data' must be a 2-D array of class ids, got {type(data).__name__}"
        )
    if array.shape != (height, width):
        raise InvalidValueError(
            f"{what}: 'mask_data' of shape {shape_text(array.shape)} does not cover the image "
            f"of {height}×{width} (H×W) pixels"
        )
    if array.dtype.kind not in "biu":
        raise InvalidTypeError(
            f"{what}: 'mask_data' holds class ids, integers in 0..255, not {array.dtype} values"
        )
    low, high = int(array.min()), int(array.max())
    if low < 0 or high > 255:
        raise InvalidValueError(
            f"{what}: class ids must lie in 0..255 (a mask is an 8-bit PNG), these lie in "
            f"{low}..{high}"
        )
    return array.astype(np.uint8)  # a copy, even of uint8


def _mask_file(path: Any, what: str, width: int, height: int) -> bytes:
    from PIL import Image, UnidentifiedImageError

    if not is_path(path):
        raise InvalidTypeError(f"{what}: 'path' must be a file path, got {type(path).__name__}")
    data, _ = read_media_file(path, what, {"png"})
    try:
        with Image.open(io.BytesIO(data)) as image:
            size, mode, format_ = image.size, image.mode, image.format
    except (UnidentifiedImageError, OSError, ValueError):
        raise InvalidValueError(f"{what}: {str(path)!r} is not a readable PNG image") from None
    if format_ != "PNG" or mode not in ("L", "P"):
        raise InvalidValueError(
            f"{what}: {str(path)!r} must be a PNG of one class id per pixel (mode L or P), "
            f"it is a {format_} of mode {mode}"
        )
    if size != (width, height):
        raise InvalidValueError(
            f"{what}: {str(path)!r} is {size[0]}×{size[1]} (W×H) pixels, the image {width}×{height}"
        )
    return data


def _box(box: Any, what: str) -> dict[str, Any]:
    if not isinstance(box, Mapping):
        raise InvalidTypeError(f"{what} must be a dict, got {type(box).__name__}")
    _keys(box, _BOX_KEYS, what)
    for required in ("position", "class_id"):
        if required not in box:
            raise InvalidValueError(f"{what} has no {required!r}")
    out: dict[str, Any] = {
        "position": _position(box["position"], f"{what} position"),
        "class_id": _integer(box["class_id"], f"{what} class_id"),
    }
    domain = box.get("domain")
    if domain is not None:
        if domain != "pixel":
            raise InvalidValueError(
                f"{what}: 'domain' is 'pixel' or absent (fractions of the image), got {domain!r}"
            )
        out["domain"] = domain
    if box.get("box_caption") is not None:
        out["box_caption"] = validation.free_text(
            box["box_caption"], f"{what} box_caption", validation.MAX_NAME
        )
    scores = box.get("scores")
    if scores is not None:
        if not isinstance(scores, Mapping):
            raise InvalidTypeError(
                f"{what}: 'scores' must be a dict of str -> number, got {type(scores).__name__}"
            )
        out["scores"] = {
            validation.key(k, f"{what} score name"): _number(v, f"{what} score {k!r}")
            for k, v in scores.items()
        }
    return out


def _position(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or set(value) not in (_CORNERS, _CENTRE):
        raise InvalidValueError(
            f"{what} must be {{'minX', 'maxX', 'minY', 'maxY'}} or "
            f"{{'middle': [x, y], 'width', 'height'}}, got {value!r}"
        )
    if set(value) == _CORNERS:
        corners = {k: _number(value[k], f"{what} {k}") for k in sorted(_CORNERS)}
        for axis in "XY":
            if corners[f"min{axis}"] > corners[f"max{axis}"]:
                raise InvalidValueError(
                    f"{what}: min{axis} {corners[f'min{axis}']} is greater than "
                    f"max{axis} {corners[f'max{axis}']}"
                )
        return corners
    middle = value["middle"]
    if not isinstance(middle, list | tuple) or len(middle) != 2:
        raise InvalidValueError(f"{what} middle must be [x, y], got {middle!r}")
    out: dict[str, Any] = {"middle": [_number(m, f"{what} middle") for m in middle]}
    for k in ("width", "height"):
        out[k] = _number(value[k], f"{what} {k}")
        if out[k] < 0:
            raise InvalidValueError(f"{what} {k} must not be negative, got {out[k]}")
    return out


def _number(value: Any, what: str) -> int | float:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidValueError(f"{what} must be a finite number, got {value!r}")
    return value


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidTypeError(f"{what} must be an integer, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidTypeError(f"{what} must be an integer, got {value!r}") from None
    validation.integer(number, what, 32)
    return number
