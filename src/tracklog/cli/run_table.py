"""The table of runs that ``runs ls`` and ``demo`` print, with extra columns such as
``params.lr`` or ``metrics.val_acc`` named in the filter grammar's terms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tracklog.cli import output
from tracklog.store import params as params_view
from tracklog.store.records import RunRecord
from tracklog.store.search_parse import Comparison, OrderTerm, parse_filter, parse_order_by

_PREFIX = {"metric": "metrics", "param": "params", "tag": "tags", "attribute": "attributes"}
# ``runs`` column -> RunRecord attribute, where the names differ.
_ATTRIBUTE_FIELDS = {"group_name": "group"}
_TIME_COLUMNS = ("start_time", "end_time")
# Attributes the table always shows; naming them in --sort/--filter adds no column.
_SHOWN = {"id", "name", "status", "start_time"}
# A comma between columns, not one inside a context: metrics.acc[fold=1,subset=val].
_COLUMN_COMMA = re.compile(r",(?![^\[]*\])")


@dataclass(frozen=True)
class Column:
    """An extra column: ``kind`` is metric, param, tag or attribute, as in a filter."""

    kind: str
    key: str

    @property
    def header(self) -> str:
        return f"{_PREFIX[self.kind]}.{self.key}"

    def value(self, run: RunRecord) -> Any:
        """This column's value for ``run`` (None where it has none)."""
        if self.kind == "metric":
            return run.summary.get(self.key)
        if self.kind == "tag":
            return run.tags.get(self.key)
        if self.kind == "param":
            return params_view.flatten(run.config).get(self.key)
        value = getattr(run, _ATTRIBUTE_FIELDS.get(self.key, self.key), None)
        return output.fmt_time(value) if self.key in _TIME_COLUMNS else value


def parse_columns(specs: Iterable[str]) -> list[Column]:
    """Columns named by ``--columns`` values, each a comma-separated list such as
    ``params.lr,metrics.acc``."""
    names = [name.strip() for spec in specs for name in _COLUMN_COMMA.split(spec) if name.strip()]
    return [Column(t.kind, t.key) for t in parse_order_by(names)]


def implied_columns(filter: str | None, order_by: Sequence[str]) -> list[Column]:
    """The keys a filter and sort clauses use, so the table shows what the runs were chosen by.

    Parsing here also rejects a bad filter before any store is opened.
    """
    terms: list[Comparison | OrderTerm] = [*parse_filter(filter), *parse_order_by(order_by)]
    return [Column(t.kind, t.key) for t in terms if not (t.kind == "attribute" and t.key in _SHOWN)]


def print_runs(runs: Sequence[RunRecord], columns: Sequence[Column] = ()) -> None:
    """Print one row per run: short id, name, project, status, start, duration, labels, extras."""
    columns = list(dict.fromkeys(columns))  # drop repeats, keep the order
    headers = ["id", "name", "project", "status", "start", "duration", "labels"]
    t = output.table(*headers, *(c.header for c in columns))
    for r in runs:
        t.add_row(
            *output.cells(
                r.id[:8],
                r.name,
                r.project,
                output.fmt_status(r.status, r.lifecycle_stage),
                output.fmt_time(r.start_time),
                output.run_duration(r.start_time, r.end_time),
                ", ".join(r.labels),
                *(c.value(r) for c in columns),
            )
        )
    output.console().print(t)
