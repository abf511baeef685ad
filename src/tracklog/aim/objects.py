"""Aim's tracked objects with Aim's arguments, each a tracklog media value."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk import media
from tracklog.store.records import HistogramItem, MediaItem

_IMAGE_FORMATS = {"png": "png", "jpeg": "jpg", "jpg": "jpg"}


class Image(media.Image):
    """Aim's ``Image``: a PIL image, a numpy array, a tensor, a matplotlib figure or a file.

    ``format`` is "png" (default) or "jpeg". ``optimize`` and ``quality`` are taken for
    compatibility; tracklog encodes with its own settings.
    """

    def __init__(
        self,
        image: Any,
        format: str = "png",
        optimize: bool = False,
        quality: int = 90,
        caption: str = "",
    ) -> None:
        file_type = _IMAGE_FORMATS.get(str(format).lower())
        if file_type is None:
            raise InvalidValueError(f"Image format must be 'png' or 'jpeg', got {format!r}")
        super().__init__(image, caption=caption or None, file_type=file_type)


class Audio(media.Audio):
    """Aim's ``Audio``: a file path, the file's bytes (in ``format``: wav, mp3, ogg, flac) or
    a numpy array / tensor of samples at ``rate`` Hz."""

    def __init__(
        self, data: Any, format: str = "wav", caption: str = "", rate: int = 22050
    ) -> None:
        if hasattr(data, "getvalue"):  # io.BytesIO
            data = data.getvalue()
        if isinstance(data, bytes | bytearray):
            # tracklog's Audio reads a file; the bytes pass through one, deleted at once.
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder, f"audio.{str(format).lower()}")
                path.write_bytes(data)
                super().__init__(path, caption=caption or None)
            return
        sample_rate = None if isinstance(data, str | os.PathLike) else rate
        super().__init__(data, sample_rate=sample_rate, caption=caption or None)


class Text(media.Text):
    """Aim's ``Text``: a string."""

    def __init__(self, data: str) -> None:
        super().__init__(data)


class Distribution(media.Histogram):
    """Aim's ``Distribution``, stored as a tracklog histogram: ``samples`` put into
    ``bin_count`` bins, or a ready ``hist`` (counts) over ``bin_range`` (low, high)."""

    def __init__(
        self,
        samples: Any = None,
        bin_count: int = 64,
        *,
        hist: Any = None,
        bin_range: tuple[float, float] | None = None,
    ) -> None:
        if hist is None:
            super().__init__(samples, num_bins=bin_count)
            return
        if samples is not None or bin_range is None:
            raise InvalidValueError("Distribution takes either samples, or hist with bin_range")
        counts = np.asarray(hist)
        low, high = bin_range
        super().__init__(np_histogram=(counts, np.linspace(low, high, counts.size + 1)))

    @classmethod
    def from_histogram(cls, hist: Any, bin_range: tuple[float, float]) -> Distribution:
        """A distribution of ready counts over ``bin_range``."""
        return cls(hist=hist, bin_range=bin_range)

    @classmethod
    def from_samples(cls, samples: Any, bin_count: int = 64) -> Distribution:
        """A distribution of ``samples`` in ``bin_count`` bins."""
        return cls(samples, bin_count)


class Figure(media.Media):
    """Aim's ``Figure``: a matplotlib figure (stored as a PNG image) or a plotly figure
    (stored as an HTML page that loads plotly.js from its CDN when opened)."""

    def __init__(self, obj: Any) -> None:
        self._value: media.Media
        if type(obj).__module__.startswith("plotly") and hasattr(obj, "to_html"):
            self._value = media.Html(obj.to_html(include_plotlyjs="cdn"))
        elif type(obj).__module__.startswith("matplotlib") and hasattr(obj, "savefig"):
            self._value = media.Image(obj)
        else:
            raise InvalidTypeError(
                f"Figure takes a plotly or matplotlib figure, got {type(obj).__name__}"
            )

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        return self._value.to_items(key, context, step, time_ms)
