"""MLflow's search filters and order-by clauses over registry entities and logged models.

Registered models, model versions and logged models are searched with the run grammar of
:mod:`tracklog.store.search_parse` (bare attribute names such as ``name LIKE 'bert%'``,
``tags.KEY``, for logged models ``params.KEY`` and ``metrics.KEY``, joined by AND), restricted
to what each entity has; comparisons compile with :func:`tracklog.store.search.compare`, so LIKE
means the same thing everywhere.

A tag test ``!=`` or ``NOT IN`` also matches entities without the tag: MLflow's client appends
``tag.`mlflow.prompt.is_prompt` != 'true'`` to every registered-model search and expects models
that carry no such tag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from tracklog.errors import InvalidValueError
from tracklog.store.search import compare
from tracklog.store.search_parse import Comparison, parse_filter, parse_order_by

_NEGATIONS = {"!=": "=", "NOT IN": "IN"}


@dataclass(frozen=True)
class Attribute:
    """A searchable attribute: its column, whether it holds numbers, and the name it is known
    by when several names mean the same column (``timestamp``)."""

    column: Any
    numeric: bool = False
    same_as: str | None = None


@dataclass(frozen=True)
class Side:
    """A key/value table beside the searched entity (tags, params, metrics)."""

    table: Table
    owner: str  # the column naming the entity the row belongs to
    numeric: bool = False


@dataclass(frozen=True)
class Grammar:
    """What one kind of entity may be searched and ordered by."""

    what: str  # "registered model", for messages
    id_column: Any  # the entity's key, matched against ``Side.owner``
    attributes: Mapping[str, Attribute]
    sides: Mapping[str, Side]  # "tag", "param", "metric" -> table

    @property
    def _names(self) -> dict[str, tuple[str, bool]]:
        """The parser's view: attribute name -> (canonical name, numeric?)."""
        return {n: (a.same_as or n, a.numeric) for n, a in self.attributes.items()}

    def where(self, text: str | None) -> list[ColumnElement[bool]]:
        """The SQL conditions of filter ``text``; raises
        :class:`~tracklog.errors.FilterSyntaxError` or :class:`InvalidValueError`."""
        return [self._clause(c) for c in parse_filter(text, self._names)]

    def _clause(self, c: Comparison) -> ColumnElement[bool]:
        if c.kind == "attribute":
            return compare(self.attributes[c.key].column, c.op, c.value)
        side = self.sides.get(c.kind)
        if side is None:
            prefixes = ", ".join(f"{kind}s.KEY" for kind in self.sides)
            raise InvalidValueError(
                f"a {self.what} filter compares {', '.join(self.attributes)} or {prefixes}, "
                f"not {c.kind}s.{c.key}"
            )
        first = c.value[0] if isinstance(c.value, tuple) else c.value
        if not side.numeric and not isinstance(first, str):
            raise InvalidValueError(
                f"{c.kind}s.{c.key} holds text: quote the value, as in '{first}'"
            )
        table = side.table
        if c.op in _NEGATIONS:
            # Entities without the key match too (see the module docstring).
            test = compare(table.c.value, _NEGATIONS[c.op], c.value)
            return self.id_column.not_in(
                select(table.c[side.owner]).where(table.c.key == c.key, test)
            )
        test = compare(table.c.value, c.op, c.value)
        return self.id_column.in_(select(table.c[side.owner]).where(table.c.key == c.key, test))

    def order(
        self, clauses: Sequence[str] | None, default: Sequence[Any], tiebreak: Sequence[Any]
    ) -> list[Any]:
        """ORDER BY terms for clauses such as ``"name ASC"``; ``default`` if there are none."""
        terms: list[Any] = []
        for term in parse_order_by(clauses, self._names):
            if term.kind != "attribute":
                raise InvalidValueError(
                    f"a {self.what} search is ordered by {', '.join(self.attributes)}, "
                    f"not {term.kind}s.{term.key}"
                )
            column = self.attributes[term.key].column
            terms.append(column.asc() if term.ascending else column.desc())
        return [*(terms or default), *tiebreak]
