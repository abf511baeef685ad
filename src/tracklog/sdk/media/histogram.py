"""Histograms: a distribution per step (of weights, activations, gradients), binned on the
writer thread."""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.arrays import as_array
from tracklog.sdk.media.base import Media
from tracklog.store.records import HistogramItem, MediaItem

if TYPE_CHECKING:
    import numpy as np

MAX_BINS = 512  # W&B's limit


class Histogram(Media):
    """A histogram, with W&B's arguments.

    ``sequence`` is the values (a numpy array of any shape, a tensor, a list of numbers), put
    into ``num_bins`` equal bins from their minimum to their maximum; NaN and infinite values
    are left out (a histogram has no bin for them). Or ``np_histogram`` is ``(counts, edges)``
    as ``numpy.histogram`` returns them, at most 512 bins.

    The values are copied here and binned when the writer stores them, faster than
    ``numpy.histogram``: a value within float rounding of a bin edge may be counted in the
    neighbouring bin.
    """

    def __init__(
        self,
        sequence: Any = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
    ) -> None:
        if (sequence is None) == (np_histogram is None):
            raise InvalidValueError("Histogram takes either sequence or np_histogram")
        self._values: np.ndarray | None = None
        self._counts: np.ndarray | None = None
        self._edges: np.ndarray | None = None
        if np_histogram is not None:
            self._counts, self._edges = _given_bins(np_histogram)
            return
        try:
            bins = operator.index(num_bins) if not isinstance(num_bins, bool) else 0
        except TypeError:
            bins = 0
        if not 1 <= bins <= MAX_BINS:
            raise InvalidValueError(
                f"Histogram num_bins must be an integer in 1..{MAX_BINS}, got {num_bins!r}"
            )
        self._bins = bins
        self._values = _values(sequence)

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        if self._values is not None:
            counts, edges = bin_values(self._values, self._bins)
        else:
            assert self._counts is not None and self._edges is not None
            counts, edges = self._counts, self._edges
        return [HistogramItem(key, context, step, time_ms, edges, counts)]


def bin_values(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges of ``bins`` equal bins over the finite ``values`` (1-D), as
    ``numpy.histogram(values, bins)`` gives them (the same range when all values are equal
    or none is finite), in less than half its time: one scaled cast to bin numbers and a
    ``bincount``, in float32 for float32 values of a moderate range.

    Where numpy refuses (a range past the float64 maximum, or too narrow for ``bins``
    finite-sized bins) this still answers: the wide range is binned in halves, the narrow one
    is one bin.
    """
    import numpy as np

    low, high = (values.min(), values.max()) if values.size else (0.0, 1.0)
    if not (np.isfinite(low) and np.isfinite(high)):  # NaN or ±inf among them
        values = values[np.isfinite(values)]
        low, high = (values.min(), values.max()) if values.size else (0.0, 1.0)
    low, high = float(low), float(high)
    if low == high:
        low, high = low - 0.5, high + 0.5
    half = not math.isfinite(high - low)
    edges = (
        np.linspace(low / 2, high / 2, bins + 1) * 2 if half else np.linspace(low, high, bins + 1)
    )
    if not (np.diff(edges) > 0).all():
        return np.array([float(values.size)]), _one_bin(low, high)
    if half:
        scaled = np.multiply(values, 0.5, dtype=np.float64)
        scaled -= low / 2
        scaled *= bins / (high / 2 - low / 2)
    else:
        narrow = values.dtype.itemsize <= 4 and 1e-30 < high - low < 1e30
        work = np.float32 if values.dtype.kind == "f" and narrow else np.float64
        scaled = np.subtract(values, work(low), dtype=work)
        scaled *= work(bins / (high - low))
    # The maximum lands on index ``bins``; it belongs to the last bin, which is closed.
    counts = np.bincount(scaled.astype(np.intp), minlength=bins + 1)
    counts[bins - 1] += counts[bins]
    return counts[:bins].astype(np.float64), edges


def _one_bin(low: float, high: float) -> np.ndarray:
    """Edges of one bin holding ``low`` to ``high``, widened by a float step each way where
    they are equal (unless that passes the float64 maximum)."""
    import numpy as np

    if low < high:
        return np.array([low, high])
    below, above = math.nextafter(low, -math.inf), math.nextafter(high, math.inf)
    return np.array(
        [below if math.isfinite(below) else low, above if math.isfinite(above) else high]
    )


def _values(sequence: Any) -> np.ndarray:
    import numpy as np

    array = as_array(sequence)
    if array is None:
        if not isinstance(sequence, list | tuple):
            raise InvalidTypeError(
                "Histogram sequence must be a numpy array, a tensor or a list of numbers, got "
                f"{type(sequence).__name__}"
            )
        try:
            array = np.asarray(sequence, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidTypeError(
                "Histogram sequence must hold numbers only (a flat or regular nested list)"
            ) from None
        return array.reshape(-1)
    if array.dtype.kind not in "biuf":
        raise InvalidTypeError(
            f"Histogram sequence of dtype {array.dtype}: the values must be real numbers"
        )
    return array.flatten() if array.dtype.kind == "f" else array.astype(np.float64).reshape(-1)


def _given_bins(value: Any) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidValueError(
            "Histogram np_histogram must be (counts, edges), as numpy.histogram returns them"
        )
    try:
        counts = np.array(value[0], dtype=np.float64).reshape(-1)
        edges = np.array(value[1], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidTypeError("Histogram np_histogram: counts and edges must be numbers") from None
    if not 1 <= counts.size <= MAX_BINS or edges.size != counts.size + 1:
        raise InvalidValueError(
            f"Histogram np_histogram: {counts.size} counts and {edges.size} edges; a histogram "
            f"has 1..{MAX_BINS} counts and one edge more"
        )
    if not (np.isfinite(counts).all() and np.isfinite(edges).all()):
        raise InvalidValueError("Histogram np_histogram: counts and edges must be finite")
    if (counts < 0).any():
        raise InvalidValueError("Histogram np_histogram: counts must not be negative")
    falls = np.flatnonzero(np.diff(edges) <= 0)
    if falls.size:
        i = int(falls[0]) + 1
        raise InvalidValueError(
            f"Histogram np_histogram: edges must increase, edge {i} ({edges[i]:g}) does not "
            f"exceed edge {i - 1} ({edges[i - 1]:g})"
        )
    return counts, edges
