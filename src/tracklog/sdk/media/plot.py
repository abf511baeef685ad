"""``Plot``: a chart of a table's columns, stored as the table (Parquet) plus what to draw."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.base import Media
from tracklog.sdk.media.table import Table
from tracklog.sdk.media.table_columns import type_name
from tracklog.sdk.media.table_parquet import encode_table
from tracklog.store.records import HistogramItem, MediaItem

PLOTS = (
    "line",
    "scatter",
    "bar",
    "histogram",
    "line_series",
    "confusion_matrix",
    "pr_curve",
    "roc_curve",
)
_NUMERIC = ("int", "float", "null")


class Plot(Media):
    """A chart (``plot``, one of :data:`PLOTS`) of ``table``: ``fields`` maps each role of the
    chart (``x``, ``y``, ``stroke``, ``label``, ``value``, ...) to a column; ``numeric`` names
    the roles whose columns must hold numbers; ``axes`` titles the axes. Made by the functions
    of ``tracklog.plot``; the table's rows are those it has now."""

    def __init__(
        self,
        table: Table,
        plot: str,
        fields: Mapping[str, str | None],
        title: str | None = None,
        numeric: tuple[str, ...] = (),
        axes: dict[str, str] | None = None,
    ) -> None:
        if not isinstance(table, Table):
            raise InvalidTypeError(
                f"plot.{plot}: table is a tracklog.Table, got {type(table).__name__}"
            )
        if title is not None and not isinstance(title, str):
            raise InvalidTypeError(f"plot.{plot}: title is a str, got {type(title).__name__}")
        self._columns, self._rows = table.snapshot()
        types = {c.name: c.type for c in self._columns}
        for role, name in fields.items():
            if name is None:
                continue
            if name not in types:
                raise InvalidValueError(
                    f"plot.{plot}: {role}={name!r} is not a column; the columns are {list(types)}"
                )
            if role in numeric and types[name] not in _NUMERIC:
                raise InvalidValueError(
                    f"plot.{plot}: {role}={name!r} is a column of {type_name(types[name])} values, "
                    "not numbers"
                )
        self._meta = {
            "plot": plot,
            "fields": {role: name for role, name in fields.items() if name is not None},
            "title": title,
            **({"axes": axes} if axes else {}),
        }

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        item = encode_table(self._columns, self._rows, key, context, step, time_ms)
        return [dataclasses.replace(item, kind="plot", meta={**item.meta, **self._meta})]
