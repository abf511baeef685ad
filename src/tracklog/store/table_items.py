"""Which logged value a table read means: of a key's media records, the table or plot at a
step, or the last one. The one rule of ``Api.run().table()`` and the server's table route."""

from __future__ import annotations

from collections.abc import Sequence

from tracklog.errors import NotFoundError
from tracklog.store.records import MediaRecord

TABLE_KINDS = ("table", "plot")  # kinds whose file is Parquet


def table_record(
    records: Sequence[MediaRecord], run_id: str, key: str, step: int | None
) -> MediaRecord:
    """The last table or plot among ``records`` (a key's, by context and step), or the last
    one at ``step``; :class:`NotFoundError` naming the key (and step) where there is none."""
    found = [m for m in records if m.kind in TABLE_KINDS and (step is None or m.step == step)]
    if not found:
        at = "" if step is None else f" at step {step}"
        raise NotFoundError(f"run {run_id!r} has no table {key!r}{at}")
    return found[-1]
