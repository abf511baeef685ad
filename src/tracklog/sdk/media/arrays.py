"""Arrays given to media types: numpy arrays and tensors (duck-typed, so torch is never
imported), checked and copied when a value is made, and 8-bit pixels made of them later."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidTypeError, InvalidValueError

if TYPE_CHECKING:
    import numpy as np


def shape_text(shape: tuple[int, ...]) -> str:
    """``(4, 4, 5)`` as ``4×4×5``, how the messages name a shape (``()`` for a scalar's)."""
    return "×".join(str(n) for n in shape) or "()"


def as_array(data: Any) -> np.ndarray | None:
    """``data`` as a numpy array (not yet copied) if it is one or a tensor, else None.

    A tensor is anything with ``detach().cpu().numpy()`` (torch's), so a tensor on a GPU or
    one that requires grad works; a bfloat16 tensor, which numpy cannot hold, becomes float32.
    """
    import numpy as np

    if isinstance(data, np.ndarray):
        return data
    if not all(hasattr(data, name) for name in ("detach", "cpu", "numpy")):
        return None
    tensor = data.detach().cpu()
    try:
        array = tensor.numpy()
    except TypeError:  # bfloat16 and the like have no numpy dtype
        array = tensor.float().numpy()
    return array if isinstance(array, np.ndarray) else None


def unit_or_byte_copy(array: np.ndarray, what: str) -> np.ndarray:
    """A copy of pixel values the caller may reuse at once: uint8 as they are, other integers
    in 0..255, floats in [0, 1] (NaN and infinity refused), each refused naming the reason."""
    import numpy as np

    if array.size == 0:
        raise InvalidValueError(f"{what}: the array of shape {shape_text(array.shape)} is empty")
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return array.copy()
    if kind not in "iuf":
        raise InvalidTypeError(
            f"{what}: values of dtype {array.dtype} are not pixels; use uint8 (0..255) or "
            "floats in [0, 1]"
        )
    low, high = array.min(), array.max()
    if kind == "f":
        if np.isnan(low) or np.isnan(high):
            raise InvalidValueError(f"{what}: the values contain NaN, which is no pixel value")
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InvalidValueError(f"{what}: the values contain infinity, which is no pixel value")
        if low < 0 or high > 1:
            raise InvalidValueError(
                f"{what}: float values must lie in [0, 1], these lie in "
                f"[{float(low):g}, {float(high):g}]"
            )
    elif low < 0 or high > 255:
        raise InvalidValueError(
            f"{what}: integer values must lie in 0..255, these lie in {int(low)}..{int(high)}"
        )
    return array.copy()


def to_uint8(array: np.ndarray) -> np.ndarray:
    """8-bit values of an array :func:`unit_or_byte_copy` accepted (floats scaled by 255 and
    rounded)."""
    import numpy as np

    if array.dtype == np.uint8:
        return array
    if array.dtype.kind == "f":
        return (array * 255 + 0.5).astype(np.uint8)
    return array.astype(np.uint8)
