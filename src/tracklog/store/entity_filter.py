"""MLflow's search filters and order-by clauses over registry entities and logged models.

Registered models, model versions and logged models are searched with a smaller grammar than
runs: bare attribute names (``name LIKE 'bert%'``, ``version_number > 2``), ``tags.KEY`` (or
``tag.KEY``) and, for logged models, ``params.KEY`` and ``metrics.KEY``. Terms are joined with
AND. Tokens come from :mod:`tracklog.store.search_parse`, SQL comparisons from
:mod:`tracklog.store.search`, so LIKE means the same thing everywhere.

A tag test ``!=`` or ``NOT IN`` also matches entities without the tag: MLflow's client appends
``tag.`mlflow.prompt.is_prompt` != 'true'`` to every registered-model search and expects models
that carry no such tag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from tracklog.errors import FilterSyntaxError, InvalidValueError
from tracklog.store.search import compare
from tracklog.store.search_parse import (
    _INTEGER,
    LIST_OPS,
    NUMERIC_OPS,
    Comparison,
    _describe,
    _Token,
    _tokenize,
)

_TEXT_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_ENTITIES = {"tags": "tag", "tag": "tag", "params": "param", "param": "param"}
_ENTITIES |= {"metrics": "metric", "metric": "metric", "attributes": "attribute"}
_ENTITIES |= {"attribute": "attribute", "attr": "attribute"}


@dataclass(frozen=True)
class Attribute:
    """A searchable attribute: its column and whether it holds numbers."""

    column: Any
    numeric: bool = False


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

    def where(self, text: str | None) -> list[ColumnElement[bool]]:
        """The SQL conditions of filter ``text``; raises :class:`FilterSyntaxError`."""
        return [self._clause(c) for c in self.parse(text)]

    def parse(self, text: str | None) -> list[Comparison]:
        """``text`` as a conjunction of comparisons (``""`` or None: none)."""
        if not text or not text.strip():
            return []
        tokens = _tokenize(text)
        out: list[Comparison] = []
        i = 0
        while True:
            comparison, i = self._comparison(text, tokens, i)
            out.append(comparison)
            tok = tokens[i]
            if tok.kind == "eof":
                return out
            if tok.value != "AND":
                raise FilterSyntaxError(
                    f"unexpected {_describe(tok)}: expected AND or the end", text, tok.pos
                )
            i += 1

    def _comparison(self, text: str, tokens: list[_Token], i: int) -> tuple[Comparison, int]:
        def fail(message: str, tok: _Token) -> FilterSyntaxError:
            return FilterSyntaxError(message, text, tok.pos)

        ident = tokens[i]
        kind, key = self._identifier(text, ident)
        numeric = self.attributes[key].numeric if kind == "attribute" else self._numeric(kind)
        op_tok = tokens[i + 1] if ident.kind != "eof" else ident
        i += 2
        op = str(op_tok.value)
        if op == "NOT" and tokens[i].value == "IN":
            op, i = "NOT IN", i + 1
        allowed = NUMERIC_OPS + LIST_OPS if numeric else _TEXT_OPS
        if op_tok.kind not in ("op", "keyword") or op not in allowed:
            raise fail(
                f"expected an operator ({' '.join(allowed)}) after {ident.text!r}, "
                f"found {_describe(op_tok)}",
                op_tok,
            )
        if op in LIST_OPS:
            if tokens[i].kind != "(":
                raise fail(f"expected a list such as ('a', 'b') after {op}", tokens[i])
            values, i = [], i + 1
            while True:
                values.append(self._value(text, tokens[i], ident.text, numeric))
                sep = tokens[i + 1]
                i += 2
                if sep.kind == ")":
                    break
                if sep.kind != ",":
                    raise fail(f"unexpected {_describe(sep)}: expected ',' or ')'", sep)
            return Comparison(kind, key, op, tuple(values)), i
        value = self._value(text, tokens[i], ident.text, numeric)
        return Comparison(kind, key, op, value), i + 1

    def _identifier(self, text: str, tok: _Token) -> tuple[str, str]:
        names = ", ".join(self.attributes)
        if tok.kind == "word" and tok.text.lower() in self.attributes:
            return "attribute", tok.text.lower()
        if tok.kind == "ident":
            entity, key = tok.value  # type: ignore[misc]
            kind = _ENTITIES.get(entity.lower())
            if kind == "attribute" and key.lower() in self.attributes:
                return kind, key.lower()
            if kind in self.sides and key:
                return kind, key
        prefixes = ", ".join(f"{side}s.KEY" for side in self.sides)
        raise FilterSyntaxError(
            f"a {self.what} filter compares {names} or {prefixes}; found {_describe(tok)}",
            text,
            tok.pos,
        )

    def _numeric(self, kind: str) -> bool:
        return self.sides[kind].numeric

    @staticmethod
    def _value(text: str, tok: _Token, ref: str, numeric: bool) -> Any:
        if numeric and tok.kind == "string" and _INTEGER.fullmatch(str(tok.value)):
            return int(str(tok.value))  # '3' as well as 3, as MLflow accepts
        if tok.kind == ("number" if numeric else "string"):
            return tok.value
        expected = "a number" if numeric else "a quoted string"
        raise FilterSyntaxError(
            f"bad value for {ref}: expected {expected}, found {_describe(tok)}", text, tok.pos
        )

    def _clause(self, c: Comparison) -> ColumnElement[bool]:
        if c.kind == "attribute":
            return compare(self.attributes[c.key].column, c.op, c.value)
        side = self.sides[c.kind]
        column = side.table.c.value
        owner = side.table.c[side.owner]
        if c.op in ("!=", "NOT IN"):
            # Entities without the key match too (see the module docstring).
            positive = "=" if c.op == "!=" else "IN"
            matching = select(owner).where(
                side.table.c.key == c.key, compare(column, positive, c.value)
            )
            return self.id_column.not_in(matching)
        matching = select(owner).where(side.table.c.key == c.key, compare(column, c.op, c.value))
        return self.id_column.in_(matching)

    def order(
        self, clauses: Sequence[str] | None, default: Sequence[Any], tiebreak: Sequence[Any]
    ) -> list[Any]:
        """ORDER BY terms for clauses such as ``"name ASC"``; ``default`` if there are none."""
        terms: list[Any] = []
        for clause in clauses or ():
            if not isinstance(clause, str):
                raise InvalidValueError(f"an order_by clause must be a string, got {clause!r}")
            words = clause.split()
            name = words[0].lower() if words else ""
            if name.startswith("attributes."):
                name = name.removeprefix("attributes.")
            if name not in self.attributes or len(words) > 2:
                raise InvalidValueError(
                    f"bad order_by clause {clause!r}: expected one of "
                    f"{', '.join(self.attributes)}, then ASC or DESC"
                )
            direction = words[1].upper() if len(words) == 2 else "ASC"
            if direction not in ("ASC", "DESC"):
                raise InvalidValueError(
                    f"bad order_by clause {clause!r}: the direction must be ASC or DESC"
                )
            column = self.attributes[name].column
            terms.append(column.asc() if direction == "ASC" else column.desc())
        return [*(terms or default), *tiebreak]
