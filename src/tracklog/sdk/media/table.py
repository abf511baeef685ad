"""``tracklog.Table``: rows and columns of numbers, strings, bools and media, stored as Parquet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError, NotFoundError
from tracklog.sdk.media import table_columns
from tracklog.sdk.media.base import Media
from tracklog.sdk.media.table_columns import Column
from tracklog.sdk.media.table_parquet import encode_table
from tracklog.store.records import HistogramItem, MediaItem

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_COLUMNS = ("Input", "Output", "Expected")  # W&B's, for a table made without columns


class Table(Media):
    """A table logged at a step, with W&B's ``wandb.Table`` semantics and no row cap.

    Give the rows as ``data`` (a list of rows, a 2-D numpy array or a DataFrame) with
    ``columns``, or a ``dataframe`` (whose column names are then used), then add to it with
    :meth:`add_data` and :meth:`add_column`. Cells are int, float, str, bool, None or media
    values (:class:`tracklog.Image`, :class:`tracklog.Text`, ...). A column's type is that of its
    first non-None cell (int and float cells mix into float); another type is refused, naming
    the row (0-based) and the column, unless ``allow_mixed_types``. The cells are copied, so
    the caller may change its lists afterwards. ``rows`` is W&B's older name of ``data``.

    A logged table is encoded by the writer thread with the rows it holds then: log a table
    once it is complete.
    """

    def __init__(
        self,
        columns: list[str] | None = None,
        data: Any = None,
        dataframe: pd.DataFrame | None = None,
        rows: Any = None,
        allow_mixed_types: bool = False,
    ) -> None:
        self._mixed = bool(allow_mixed_types)
        if dataframe is None and _is_dataframe(data):
            dataframe, data = data, None
        if dataframe is not None:
            if not _is_dataframe(dataframe):
                raise InvalidTypeError(
                    f"Table: dataframe takes a pandas DataFrame, got {type(dataframe).__name__}"
                )
            self._columns = table_columns.from_dataframe(dataframe, self._mixed)
            return
        names = _column_names(DEFAULT_COLUMNS if columns is None else columns)
        if data is not None and rows is not None:
            raise InvalidValueError("Table: give data or rows (its older name), not both")
        data = rows if data is None else data
        if data is None:
            self._columns = [Column(name, "null", []) for name in names]
        elif isinstance(data, np.ndarray):
            self._columns = table_columns.from_array(names, data, self._mixed)
        else:
            self._columns = table_columns.from_rows(names, data, self._mixed)

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return [column.name for column in self._columns]

    @property
    def data(self) -> list[list[Any]]:
        """The rows, each a new list of its cells."""
        cells = [column.cells() for column in self._columns]
        return [list(row) for row in zip(*cells, strict=True)]

    def __len__(self) -> int:
        return _row_count(self._columns)

    def add_data(self, *row: Any) -> None:
        """Append a row: one cell per column, in column order."""
        if len(row) != len(self._columns):
            raise InvalidValueError(
                f"Table: a row has one cell per column ({len(self._columns)}: {self.columns}), "
                f"got {len(row)}"
            )
        at = len(self)
        # Checked in full before any column changes, so a refused row leaves the table as it was.
        kinds = [
            table_columns.column_type(column.name, [cell], at, self._mixed, column.type)
            for column, cell in zip(self._columns, row, strict=True)
        ]
        for column, kind, cell in zip(self._columns, kinds, row, strict=True):
            column.append(cell, kind)

    def add_column(self, name: str, data: list[Any] | tuple[Any, ...] | np.ndarray) -> None:
        """Append a column ``name`` with one cell per row (the first column sets the row count)."""
        name = table_columns.check_name(name, self.columns)
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise InvalidTypeError(
                f"Table: column {name!r} takes a list or a numpy array, got {type(data).__name__}"
            )
        if self._columns and len(data) != len(self):
            raise InvalidValueError(
                f"Table: column {name!r} has {len(data)} cells; the table has {len(self)} rows"
            )
        if isinstance(data, np.ndarray):
            if data.ndim != 1:
                raise InvalidValueError(
                    f"Table: column {name!r} takes a 1-D array, got shape {data.shape}"
                )
            self._columns.extend(table_columns.from_array([name], data[:, None], self._mixed))
        else:
            cells = list(data)
            kind = table_columns.column_type(name, cells, 0, self._mixed)
            self._columns.append(Column(name, kind, cells))

    def get_column(self, name: str, convert_to: str | None = None) -> list[Any] | np.ndarray:
        """The cells of column ``name`` as a list, or as a numpy array with
        ``convert_to="numpy"``."""
        if convert_to not in (None, "numpy"):
            raise InvalidValueError(f"Table: convert_to is None or 'numpy', got {convert_to!r}")
        column = self._column(name)
        if convert_to is None:
            return column.cells()
        if isinstance(column.values, np.ndarray):
            return column.values.copy()
        scalar = column.type in ("int", "float", "bool", "str")
        return np.array(column.values, dtype=None if scalar else object)

    def get_dataframe(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (media cells as the media objects)."""
        import pandas as pd

        return pd.DataFrame(
            {c.name: pd.Series(c.values, dtype=_pandas_dtype(c)) for c in self._columns},
            columns=self.columns,
        )

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        return [encode_table(*self.snapshot(), key, context, step, time_ms)]

    def snapshot(self) -> tuple[list[Column], int]:
        """The columns and the row count now: new Column objects over the same cells (a
        column's cells below the count never change; rows appended later are past it)."""
        columns = [Column(c.name, c.type, c.values) for c in self._columns]
        return columns, _row_count(columns)

    def _column(self, name: str) -> Column:
        for column in self._columns:
            if column.name == name:
                return column
        raise NotFoundError(f"Table: no column named {name!r}; the columns are {self.columns}")


def _row_count(columns: list[Column]) -> int:
    # The shortest column: add_data appends to one column after another.
    return min((len(column) for column in columns), default=0)


def _is_dataframe(value: object) -> bool:
    return type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas")


def _column_names(columns: object) -> list[str]:
    if not isinstance(columns, (list, tuple)):
        raise InvalidTypeError(f"Table: columns is a list of names, got {type(columns).__name__}")
    names: list[str] = []
    for name in columns:
        names.append(table_columns.check_name(name, names))
    return names


# A column's pandas dtype: (without missing cells, with them).
_PANDAS_DTYPES = {"int": ("int64", "Int64"), "bool": ("bool", "boolean")}


def _pandas_dtype(column: Column) -> Any:
    """int64, float64 and bool where they hold the cells; pandas' nullable kinds for int and
    bool columns with missing cells; object for the rest."""
    if isinstance(column.values, np.ndarray):
        return column.values.dtype
    if column.type == "float":
        return "float64"
    if column.type in _PANDAS_DTYPES:
        return _PANDAS_DTYPES[str(column.type)][None in column.values]
    return object
