"""Tensors and arrays as TensorBoard's writers read them: pixels scaled and clipped to 8 bits,
any ``dataformats`` turned into H×W×C, batches laid out in TensorBoard's grid."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.arrays import as_array, shape_text

GRID_COLUMNS = 8  # TensorBoard's make_grid: at most 8 images a row


def numbers(value: Any, what: str) -> np.ndarray:
    """``value`` (a tensor, a numpy array, a list of numbers) as a numeric numpy array."""
    array = as_array(value)
    if array is None:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError(f"{what}: not an array of numbers ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise InvalidTypeError(
            f"{what}: values of dtype {array.dtype} are not numbers (got {type(value).__name__})"
        )
    return array


def scalar(value: Any, what: str) -> float:
    """A number, a numpy scalar or a one-element tensor as a float; anything else refused."""
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        raise InvalidTypeError(f"{what}: a string is not a scalar; add_text() logs text")
    array = numbers(value, what)
    if array.size != 1:
        raise InvalidValueError(
            f"{what}: a scalar has one element, this array is {shape_text(array.shape)}"
        )
    return float(array.reshape(()))


def pixels(array: np.ndarray) -> np.ndarray:
    """8-bit pixels as TensorBoard makes them: uint8 kept, anything else scaled by 255 and
    clipped to 0..255 (NaN as 0)."""
    if array.dtype == np.uint8:
        return array
    scaled = np.nan_to_num(array.astype(np.float32) * 255, nan=0.0)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _axes(dataformats: Any, shape: tuple[int, ...], wanted: str, what: str) -> list[int]:
    """Where each letter of ``wanted`` is in ``dataformats`` (-1 for a missing C), which must
    name each axis of ``shape`` once, with letters of ``wanted`` only."""
    if not isinstance(dataformats, str):
        raise InvalidTypeError(f"{what}: dataformats must be a string such as 'CHW'")
    fmt = dataformats.upper()
    needed = set(wanted) - {"C"}
    if (
        len(fmt) != len(shape)
        or len(set(fmt)) != len(fmt)
        or not set(fmt) <= set(wanted)
        or not needed <= set(fmt)
    ):
        raise InvalidValueError(
            f"{what}: dataformats {dataformats!r} does not describe an array of shape "
            f"{shape_text(shape)} (one letter per axis, each once, of "
            f"{', '.join(sorted(wanted))}; {', '.join(sorted(needed))} required)"
        )
    return [fmt.find(c) for c in wanted]


def image_hwc(value: Any, dataformats: str, what: str) -> np.ndarray:
    """One image (CHW, HWC, HW or any order of them) as 8-bit H×W×C pixels, C 1, 3 or 4."""
    array = numbers(value, what)
    if array.ndim not in (2, 3):
        raise InvalidValueError(
            f"{what}: an image has 2 or 3 axes, this one {shape_text(array.shape)}; "
            "add_images() takes a batch"
        )
    order = _axes(dataformats, array.shape, "HWC", what)
    grey = order[2] < 0  # no channel axis
    array = array.transpose(order[:2])[:, :, None] if grey else array.transpose(order)
    return _checked_channels(pixels(array), what)


def images_grid(value: Any, dataformats: str, what: str) -> np.ndarray:
    """A batch of images (NCHW, NHWC, NHW...) as one H×W×C grid of 8-bit pixels, laid out as
    TensorBoard's ``make_grid`` does (up to 8 a row, rows filled left to right)."""
    array = numbers(value, what)
    if array.ndim not in (3, 4):
        raise InvalidValueError(
            f"{what}: a batch of images has 3 or 4 axes, this one {shape_text(array.shape)}"
        )
    order = _axes(dataformats, array.shape, "NHWC", what)
    grey = order[3] < 0
    array = array.transpose(order[:3])[..., None] if grey else array.transpose(order)
    batch = _checked_channels(pixels(array), what)
    return grid(batch)


def grid(batch: np.ndarray, columns: int = GRID_COLUMNS) -> np.ndarray:
    """N×H×W×C images tiled into one image, ``columns`` a row, empty cells black."""
    n, h, w, c = batch.shape
    if n == 0:
        raise InvalidValueError("a batch of images holds no image")
    cols = min(n, columns)
    rows = math.ceil(n / cols)
    canvas = np.zeros((rows * h, cols * w, c), dtype=batch.dtype)
    for i in range(n):
        y, x = divmod(i, cols)
        canvas[y * h : (y + 1) * h, x * w : (x + 1) * w] = batch[i]
    return canvas


def _checked_channels(array: np.ndarray, what: str) -> np.ndarray:
    channels = array.shape[-1]
    if channels not in (1, 3, 4):
        raise InvalidValueError(
            f"{what}: an image has 1, 3 or 4 channels, this one {channels} "
            f"(shape {shape_text(array.shape)}); is dataformats right?"
        )
    return array


def video_batch(value: Any, what: str) -> np.ndarray:
    """A video tensor N×T×C×H×W (or T×C×H×W) as 8-bit frames, scaled as images are."""
    array = numbers(value, what)
    if array.ndim not in (4, 5):
        raise InvalidValueError(
            f"{what}: a video is N×T×C×H×W (or T×C×H×W), got {shape_text(array.shape)}"
        )
    return pixels(array)


def audio_samples(value: Any, what: str) -> np.ndarray:
    """Sound as TensorBoard takes it (1×L, or L; channels×L) as float samples, L first,
    clipped to [-1, 1] as TensorBoard does."""
    array = numbers(value, what).astype(np.float32)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    elif array.ndim == 2 and array.shape[0] < array.shape[1]:
        array = array.T  # channels × samples, TensorBoard's order, into samples × channels
    elif array.ndim != 1:
        raise InvalidValueError(
            f"{what}: sound is 1×L (or L, or channels×L), got {shape_text(array.shape)}"
        )
    return np.clip(np.nan_to_num(array, nan=0.0), -1.0, 1.0)
