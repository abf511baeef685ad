"""A table's columns: the type of each, checked cell by cell, and the values copied in columnar
form (a numpy array where the source was one, else a list).

A column's type is that of its first non-None cell: ``int``, ``float``, ``bool``, ``str`` or a
media class; ``int`` and ``float`` cells mix into ``float``. A column of None only is ``null``
until a value arrives; a table made with ``allow_mixed_types`` holds any mix as ``mixed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.base import Media
from tracklog.store import validation

if TYPE_CHECKING:
    import pandas as pd

# What a cell is: "null", "int", "float", "bool", "str", a Media subclass, or "unsupported";
# what a column is: one of those but "unsupported", or "mixed".
CellType: TypeAlias = str | type[Media]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


_CELL_TYPES: dict[type, CellType] = {}


def cell_type(kind: type) -> CellType:
    """The table type of a cell of Python type ``kind`` (numpy scalars count as their kind)."""
    found = _CELL_TYPES.get(kind)
    if found is None:
        found = _CELL_TYPES[kind] = _cell_type(kind)
    return found


def _cell_type(kind: type) -> CellType:
    if kind is type(None):
        return "null"
    if issubclass(kind, (bool, np.bool_)):
        return "bool"
    if issubclass(kind, (int, np.integer)):
        return "int"
    if issubclass(kind, (float, np.floating)):
        return "float"
    if issubclass(kind, str):
        return "str"
    if issubclass(kind, Media):
        return kind
    return "unsupported"


def type_name(kind: CellType) -> str:
    return kind if isinstance(kind, str) else kind.__name__


def _merged(first: CellType, second: CellType) -> CellType | None:
    """The column type holding cells of both types, or None where they do not mix."""
    if first == second or second == "null":
        return first
    if first == "null":
        return second
    if {first, second} == {"int", "float"}:
        return "float"
    return None


@dataclass
class Column:
    """One column: its name, its type, and its cells (a list, or a numpy array that nothing
    writes into: an append turns it into a list first)."""

    name: str
    type: CellType
    values: list[Any] | np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    def cells(self) -> list[Any]:
        """The cells as a new list of Python values."""
        return self.values.tolist() if isinstance(self.values, np.ndarray) else list(self.values)

    def append(self, cell: Any, kind: CellType) -> None:
        """Append a cell already checked to make the column's type ``kind``."""
        values = self.values.tolist() if isinstance(self.values, np.ndarray) else self.values
        values.append(cell)
        self.values = values
        self.type = kind


def check_name(name: object, taken: list[str]) -> str:
    """``name`` if it can name a new column next to ``taken``."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"Table: a column name is a str, got {name!r}")
    if not name or len(name) > validation.MAX_KEY:
        raise InvalidValueError(
            f"Table: a column name has 1 to {validation.MAX_KEY} characters, got {name[:60]!r}"
        )
    if name in taken:
        raise InvalidValueError(f"Table: there is a column named {name!r} already")
    return name


def column_type(
    name: str, values: list[Any], first_row: int, allow_mixed: bool, current: CellType = "null"
) -> CellType:
    """The type of column ``name`` once ``values`` (rows ``first_row``...) join its cells of
    type ``current``; refuses an unsupported cell, an int beyond int64, and (unless
    ``allow_mixed``) a cell of another type, naming the row and the column."""
    found = {cell_type(kind) for kind in set(map(type, values))}
    if "unsupported" in found:
        row, cell = _first(values, lambda c: cell_type(type(c)) == "unsupported")
        raise InvalidTypeError(
            f"Table: row {first_row + row}, column {name!r}: a {type(cell).__name__} cannot be a "
            "cell (cells are int, float, str, bool, None or a media value such as tracklog.Image)"
        )
    if current == "mixed":
        return current
    merged: CellType | None = current
    for kind in found:
        merged = _merged(merged, kind) if merged is not None else None
    if merged is None:
        if allow_mixed:
            return "mixed"
        _refuse_mix(name, values, first_row, current)
    if merged == "int" and "int" in found:
        _check_int64(name, values, first_row)
    elif merged == "float" and "int" in found:
        _check_float(name, values, first_row)
    assert merged is not None
    return merged


def _first(values: list[Any], test: Any) -> tuple[int, Any]:
    return next((i, cell) for i, cell in enumerate(values) if test(cell))


def _refuse_mix(name: str, values: list[Any], first_row: int, current: CellType) -> None:
    kind = current
    for i, cell in enumerate(values):
        this = cell_type(type(cell))
        merged = _merged(kind, this)
        if merged is None:
            raise InvalidTypeError(
                f"Table: row {first_row + i}, column {name!r} holds {type_name(kind)} values; "
                f"got a {type(cell).__name__} ({cell!r:.60}). Give all cells of a column one "
                "type, or make the table with allow_mixed_types=True"
            )
        kind = merged


def _check_int64(name: str, values: list[Any], first_row: int) -> None:
    ints = [v for v in values if v is not None]
    if not ints or (min(ints) >= INT64_MIN and max(ints) <= INT64_MAX):
        return
    row, cell = _first(
        values, lambda c: isinstance(c, (int, np.integer)) and not INT64_MIN <= c <= INT64_MAX
    )
    raise InvalidValueError(
        f"Table: row {first_row + row}, column {name!r}: {cell} is beyond the range of a "
        "64-bit integer"
    )


def _check_float(name: str, values: list[Any], first_row: int) -> None:
    try:
        np.asarray([v for v in values if isinstance(v, int)], dtype=np.float64)
    except OverflowError:
        row, cell = _first(values, lambda c: isinstance(c, int) and abs(c) > 2**1023)
        raise InvalidValueError(
            f"Table: row {first_row + row}, column {name!r}: an integer of {len(str(abs(cell)))} "
            "digits is beyond the range of a 64-bit float"
        ) from None


def from_rows(names: list[str], rows: object, allow_mixed: bool) -> list[Column]:
    """Columns from a list of rows, each a list or tuple of one cell per column."""
    if not isinstance(rows, (list, tuple)):
        raise InvalidTypeError(
            "Table: data is a list of rows, a numpy array or a DataFrame, "
            f"got {type(rows).__name__}"
        )
    width = len(names)
    kinds = set(map(type, rows))
    if (
        not kinds <= {list, tuple, np.ndarray}
        or (np.ndarray in kinds and any(np.ndim(row) != 1 for row in rows))
        or set(map(len, rows)) - {width}
    ):
        _refuse_row(rows, width)
    # A comprehension per column: faster than zip(*rows) for many rows.
    return [_listed(name, [row[j] for row in rows], allow_mixed) for j, name in enumerate(names)]


def _refuse_row(rows: list[Any] | tuple[Any, ...], width: int) -> None:
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple, np.ndarray)) or np.ndim(row) != 1:
            raise InvalidTypeError(
                f"Table: row {i} is a {type(row).__name__}, not a list of {width} cells"
            )
        if len(row) != width:
            raise InvalidValueError(f"Table: row {i} has {len(row)} cells; the table has {width}")


def _numeric(name: str, array: np.ndarray) -> Column | None:
    """A column holding a copy of a bool, int or float array; None for other dtypes."""
    if array.dtype.kind == "b":
        return Column(name, "bool", array.copy())
    if array.dtype.kind == "f":
        return Column(name, "float", array.astype(np.float64))
    if array.dtype.kind in "iu":
        if array.size and array.dtype.kind == "u" and array.max() > INT64_MAX:
            row = int(np.argmax(array > INT64_MAX))
            raise InvalidValueError(
                f"Table: row {row}, column {name!r}: {array[row]} is beyond the range of a "
                "64-bit integer"
            )
        return Column(name, "int", array.astype(np.int64))
    return None


def from_array(names: list[str], array: np.ndarray, allow_mixed: bool) -> list[Column]:
    """Columns from a 2-D numpy array, one array column per table column."""
    if array.ndim != 2 or array.shape[1] != len(names):
        raise InvalidValueError(
            f"Table: an array of data has shape (rows, {len(names)}) for {len(names)} columns, "
            f"got {array.shape}"
        )
    return [_from_values(name, array[:, j], allow_mixed) for j, name in enumerate(names)]


def _from_values(name: str, array: np.ndarray, allow_mixed: bool) -> Column:
    numeric = _numeric(name, array)
    return numeric if numeric is not None else _listed(name, array.tolist(), allow_mixed)


def _listed(name: str, cells: list[Any], allow_mixed: bool) -> Column:
    return Column(name, column_type(name, cells, 0, allow_mixed), cells)


def from_dataframe(frame: pd.DataFrame, allow_mixed: bool) -> list[Column]:
    """Columns from a DataFrame: numeric columns as arrays, others cell by cell (a missing
    value, NaN included, is None there)."""
    names: list[str] = []
    for name in frame.columns:
        names.append(check_name(name, names))
    columns = []
    for j, name in enumerate(names):
        series = frame.iloc[:, j]
        column = _numeric(name, series.to_numpy()) if isinstance(series.dtype, np.dtype) else None
        if column is None:
            cells = series.astype(object).where(series.notna(), None).tolist()
            column = _listed(name, cells, allow_mixed)
        columns.append(column)
    return columns
