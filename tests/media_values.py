"""Small ``Media`` values for the tests of the store, the writer and the server: what the
image and histogram types return, without their encoders."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

from tracklog.sdk.media import Media
from tracklog.store.records import Attachment, HistogramItem, MediaItem

if TYPE_CHECKING:
    import pandas as pd


def parquet(frame: pd.DataFrame) -> bytes:
    """A DataFrame as the Parquet bytes of a logged table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out)
    return out.getvalue()


class Spread(Media):
    """A histogram of a few values (what the histogram slice's type returns, in small)."""

    def __init__(self, values: list[float]) -> None:
        self.counts, self.edges = np.histogram(np.asarray(values, np.float64), bins=2)

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        return [HistogramItem(key, context, step, time_ms, self.edges, self.counts * 1.0)]


class Masked(Media):
    """An "image" with a mask attachment its meta names."""

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        mask = Attachment(b"mask", "png")
        meta = {"caption": "cat", "masks": ["mask.png"]}
        return [MediaItem(key, context, step, time_ms, "image", b"img", "png", meta, (mask,))]


class Broken(Media):
    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        raise RuntimeError("the encoder broke")


class Stored(Media):
    """Bytes encoded already, of any kind (a PNG, a Parquet table)."""

    def __init__(self, kind: str, data: bytes, ext: str) -> None:
        self.kind, self.data, self.ext = kind, data, ext

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        return [MediaItem(key, context, step, time_ms, self.kind, self.data, self.ext)]
