"""Rich values ``log()`` and ``track()`` take next to numbers: media, histograms, tables, plots.

Each type checks and copies its input when it is made (so the caller may reuse its buffer) and
encodes it later, on the writer thread, into the store's records
(:class:`~tracklog.store.records.MediaItem`, :class:`~tracklog.store.records.HistogramItem`).
"""

from tracklog.sdk.media.audio import Audio
from tracklog.sdk.media.base import Media
from tracklog.sdk.media.histogram import Histogram
from tracklog.sdk.media.image import Image
from tracklog.sdk.media.plot import Plot
from tracklog.sdk.media.table import Table
from tracklog.sdk.media.text import Html, Text
from tracklog.sdk.media.video import Video

__all__ = ["Audio", "Histogram", "Html", "Image", "Media", "Plot", "Table", "Text", "Video"]
