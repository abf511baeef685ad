"""What ``Api`` reads back of a run's media: each value as a :class:`LoggedMedia`, and the
tables and plots as pandas DataFrames."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidValueError
from tracklog.store.records import MediaRecord
from tracklog.store.table_items import table_record

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from tracklog.store.interface import TrackingStore


class LoggedMedia:
    """One logged media value: ``key``, ``context``, ``step``, ``kind``, ``caption`` (from
    ``meta``), ``meta``, ``path`` (in the run's files) and ``size``; its bytes on demand."""

    def __init__(self, store: TrackingStore, run_id: str, record: MediaRecord) -> None:
        self._store = store
        self.run_id = run_id
        self.record = record

    def __getattr__(self, name: str) -> Any:
        return getattr(self.record, name)

    def __repr__(self) -> str:
        r = self.record
        return f"<LoggedMedia {r.kind} {r.key!r} step {r.step}>"

    @property
    def caption(self) -> str | None:
        """The caption it was logged with, if any."""
        caption = self.record.meta.get("caption")
        return caption if isinstance(caption, str) else None

    def read_bytes(self) -> bytes:
        """The file's bytes (an encoded image, clip, page, text or Parquet table)."""
        with tempfile.TemporaryDirectory(prefix="tracklog-media-") as tmp:
            return self.download(tmp).read_bytes()

    def download(self, dest: str | os.PathLike[str] = ".") -> Path:
        """Copy the file into folder ``dest``; return the local path."""
        target = Path(dest) / Path(self.record.path).name
        return self._store.download_file(self.run_id, self.record.path, target)

    def to_numpy(self) -> np.ndarray:
        """An image as an H×W or H×W×C uint8 array (decoded with Pillow)."""
        if self.record.kind != "image":
            raise InvalidValueError(
                f"to_numpy() reads images; {self.record.key!r} is {self.record.kind}"
            )
        import numpy as np
        from PIL import Image

        with Image.open(io.BytesIO(self.read_bytes())) as image:
            return np.asarray(image)


def read_table(
    store: TrackingStore,
    run_id: str,
    key: str,
    step: int | None,
    context: dict[str, Any] | None,
) -> pd.DataFrame:
    """The table (or plot data) logged as ``key``: the last one, or the one at ``step``."""
    import pyarrow.parquet as pq

    record = table_record(store.media(run_id, key, context), run_id, key, step)
    data = LoggedMedia(store, run_id, record).read_bytes()
    return pq.read_table(io.BytesIO(data)).to_pandas()
