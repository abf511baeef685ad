"""Tokenizer and parser for MLflow-style run search filters and order-by clauses.

Pure Python (no SQLAlchemy) so callers can validate a filter without a store;
:mod:`tracklog.store.search` compiles the parsed form to SQL.

A filter is a conjunction: ``metrics.acc > 0.9 AND params.model = 'bert'``. Every parse
error is a :class:`~tracklog.errors.FilterSyntaxError` pointing at the offending token.

What a search may ask for is bounded here, for every search (runs, experiments, registry,
logged models), so that no request costs the database without bound: PostgreSQL's planning
time grows steeply with the number of comparisons, and SQLite refuses deep expressions and
joins of more than 64 tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tracklog.errors import FilterSyntaxError, InvalidValueError
from tracklog.store.context_keys import context_suffix

#: Characters in one filter, comparisons ANDed in one filter, values in all of its IN lists,
#: and clauses of one order-by (docs/server.md's limits).
MAX_FILTER_CHARS = 100_000
MAX_FILTER_CLAUSES = 100
MAX_FILTER_VALUES = 1_000
MAX_ORDER_KEYS = 10
MAX_SEARCH_PROJECTS = 1_000  # projects one search of runs may name

Scalar = int | float | str
Value = Scalar | tuple[Scalar, ...]

#: Entity prefix (lower-cased) -> kind of a parsed comparison.
ENTITIES = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "tags": "tag",
    "tag": "tag",
    "attributes": "attribute",
    "attribute": "attribute",
    "attr": "attribute",
    "run": "attribute",
}

#: Attribute name -> (``runs`` column, compared as a number?).
ATTRIBUTES: dict[str, tuple[str, bool]] = {
    "status": ("status", False),
    "run_name": ("name", False),
    "name": ("name", False),
    "run_id": ("id", False),
    "id": ("id", False),
    "user": ("user", False),
    "group": ("group_name", False),
    "job_type": ("job_type", False),
    "start_time": ("start_time", True),
    "end_time": ("end_time", True),
    "duration": ("duration", True),  # end_time - start_time (ms), NULL until the run ends
    "experiment_id": ("experiment_id", True),
}

ORDER_OPS = ("<", "<=", ">", ">=")
NUMERIC_OPS = ("=", "!=", *ORDER_OPS)
PATTERN_OPS = ("LIKE", "ILIKE")
LIST_OPS = ("IN", "NOT IN")

_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "ASC", "DESC"}
_OPERATORS = ("<=", ">=", "!=", "=", "<", ">")  # longest first
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
# An identifier or keyword; unquoted keys may also hold - . / : (``metrics.train/loss``).
_WORD = re.compile(r"[^\W\d][\w\-./:]*")
_INTEGER = re.compile(r"[-+]?\d+")


@dataclass(frozen=True)
class Comparison:
    """One ``entity.key op value`` term of a filter.

    ``kind`` is metric, param, tag or attribute; for attributes ``key`` is the ``runs`` column
    name (``attributes.run_name`` -> ``name``). ``value`` is a tuple for IN / NOT IN.
    """

    kind: str
    key: str
    op: str
    value: Value


@dataclass(frozen=True)
class OrderTerm:
    """One order-by clause; ``key`` is normalised as in :class:`Comparison`."""

    kind: str
    key: str
    ascending: bool = True


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, word, keyword, number, string, op, ( ) , or eof
    text: str  # the source text of the token
    pos: int
    value: Scalar = ""  # the parsed literal, keyword or operator; "" for idents and eof
    key_pos: int = 0  # idents only: where the key starts
    parts: tuple[str, str] = ("", "")  # idents only: (entity, key)
    context: str = ""  # idents only: the ``[name=value,...]`` after the key, canonical
    context_pos: int = 0  # idents only: where that context starts


def _scan_quoted(text: str, start: int, what: str) -> tuple[str, int]:
    """Read the quoted string opening at ``start``; return its value and the offset after it.

    The quote is escaped by doubling it or with a backslash, and ``\\\\`` is one backslash;
    any other backslash is kept, so LIKE escapes such as ``'a\\_b'`` survive.
    """
    quote, n, i = text[start], len(text), start + 1
    out: list[str] = []
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in (quote, "\\"):
            out.append(text[i + 1])
            i += 2
        elif c == quote and i + 1 < n and text[i + 1] == quote:
            out.append(quote)
            i += 2
        elif c == quote:
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    raise FilterSyntaxError(f"unterminated {what} (no closing {quote})", text, start)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _context_item(text: str, i: int, what: str) -> tuple[str | int | float | bool, int]:
    """One name or value of a metric's context at ``i``: quoted text, a number (values only)
    or a word (``true``/``false`` as values are booleans); returns it and the offset after."""
    if i < len(text) and text[i] in "'\"`":
        return _scan_quoted(text, i, f"quoted {what}")
    if what == "value" and (m := _NUMBER.match(text, i)):
        return _number(m.group()), m.end()
    if m := _WORD.match(text, i):
        word = m.group()
        if what == "value" and word in ("true", "false"):
            return word == "true", m.end()
        return word, m.end()
    found = repr(text[i]) if i < len(text) else "end of input"
    raise FilterSyntaxError(f"expected a context {what}, found {found}", text, i)


def _scan_context(text: str, start: int) -> tuple[str, int]:
    """Read the ``[name=value, ...]`` opening at ``start``; return it in its canonical form
    (:func:`~tracklog.store.context_keys.context_suffix`) and the offset after it."""
    items: dict[str, str | int | float | bool] = {}
    i = start + 1
    while True:
        name_pos = i = _skip_space(text, i)
        name, i = _context_item(text, i, "name")
        i = _skip_space(text, i)
        if not text.startswith("=", i):
            raise FilterSyntaxError(f"expected '=' after context name {name!r}", text, i)
        value, i = _context_item(text, _skip_space(text, i + 1), "value")
        if name in items:
            raise FilterSyntaxError(f"context name {name!r} is given twice", text, name_pos)
        items[str(name)] = value
        i = _skip_space(text, i)
        if text.startswith("]", i):
            return context_suffix(items), i + 1
        if not text.startswith(",", i):
            raise FilterSyntaxError("unclosed '[': expected ',' or ']' in the context", text, i)
        i += 1


def _lone_escape(pattern: str) -> bool:
    # LIKE patterns use '\\' as escape character; PostgreSQL rejects one that escapes nothing.
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1


_INT64 = range(-(2**63), 2**63)


def _number(literal: str) -> int | float:
    # A whole number past int64 (as JavaScript writes 3e20) is a float: no database column
    # holds it as an integer, and SQLite's driver refuses to bind it.
    if _INTEGER.fullmatch(literal) and (whole := int(literal)) in _INT64:
        return whole
    return float(literal)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "'\"":
            value, end = _scan_quoted(text, i, "string")
            tokens.append(_Token("string", text[i:end], i, value))
        elif m := _NUMBER.match(text, i):
            end = m.end()
            tokens.append(_Token("number", m.group(), i, _number(m.group())))
        elif m := _WORD.match(text, i):
            word, end = m.group(), m.end()
            entity, dot, key = word.partition(".")
            if not dot:
                upper = word.upper()
                kind = "keyword" if upper in _KEYWORDS else "word"
                tokens.append(_Token(kind, word, i, upper if kind == "keyword" else word))
            else:
                key_pos = i + len(entity) + 1
                if not key and end < n and text[end] in '`"':
                    key, end = _scan_quoted(text, end, "quoted key")
                context, context_pos = "", end
                if end < n and text[end] == "[":
                    context, end = _scan_context(text, end)
                tokens.append(
                    _Token(
                        "ident",
                        text[i:end],
                        i,
                        key_pos=key_pos,
                        parts=(entity, key),
                        context=context,
                        context_pos=context_pos,
                    )
                )
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            end = i + len(op)
            tokens.append(_Token("op", op, i, op))
        elif c in "(),":
            end = i + 1
            tokens.append(_Token(c, c, i, c))
        elif c == "`":
            raise FilterSyntaxError(
                "unexpected '`': backticks quote a key, as in metrics.`val acc`", text, i
            )
        else:
            raise FilterSyntaxError(f"unexpected character {c!r}", text, i)
        i = end
    tokens.append(_Token("eof", "", n))
    return tokens


def _describe(tok: _Token) -> str:
    return "end of input" if tok.kind == "eof" else repr(tok.text)


class _Parser:
    def __init__(self, text: str, attributes: Mapping[str, tuple[str, bool]]) -> None:
        self.text = text
        self.attributes = attributes
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def next(self) -> _Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)  # stay on eof
        return tok

    def fail(self, message: str, pos: int) -> FilterSyntaxError:
        return FilterSyntaxError(message, self.text, pos)

    def identifier(self, example: str) -> tuple[str, str, _Token]:
        """Parse ``entity.key``; return (kind, normalised key, token)."""
        tok = self.next()
        if tok.kind == "ident":
            entity, key = tok.parts
            kind = ENTITIES.get(entity.lower())
            if kind is None:
                raise self.fail(
                    f"unknown entity type {entity!r} (use metrics., params., tags. or attributes.)",
                    tok.pos,
                )
            if not key:
                raise self.fail(f"expected a key after '{entity}.'", tok.key_pos)
            if tok.context and kind != "metric":
                raise self.fail(
                    f"a context such as [subset=val] follows metric keys only, not {entity}.",
                    tok.context_pos,
                )
            key += tok.context
            if kind == "attribute":
                if key.lower() not in self.attributes:
                    valid = ", ".join(self.attributes)
                    raise self.fail(f"unknown attribute {key!r} (valid: {valid})", tok.key_pos)
                key = self.attributes[key.lower()][0]
            return kind, key, tok
        if tok.kind == "word" and tok.text.lower() in self.attributes:
            # A bare attribute name, as MLflow's experiment filters write ``name = 'x'``.
            return "attribute", self.attributes[tok.text.lower()][0], tok
        if tok.kind == "word":
            raise self.fail(
                f"unknown identifier {tok.text!r} "
                "(use metrics.KEY, params.KEY, tags.KEY or attributes.NAME)",
                tok.pos,
            )
        raise self.fail(f"expected {example}, found {_describe(tok)}", tok.pos)

    def operator(self, ident: _Token) -> tuple[str, _Token]:
        tok = self.next()
        if tok.kind == "op" or tok.value in ("LIKE", "ILIKE", "IN"):
            return str(tok.value), tok
        if tok.value == "NOT":
            nxt = self.next()
            if nxt.value != "IN":
                raise self.fail(f"expected IN after NOT, found {_describe(nxt)}", nxt.pos)
            return "NOT IN", tok
        raise self.fail(
            f"expected an operator (= != < <= > >= LIKE ILIKE IN NOT IN) after {ident.text!r}, "
            f"found {_describe(tok)}",
            tok.pos,
        )

    def scalar(self, op_tok: _Token) -> _Token:
        tok = self.next()
        if tok.kind in ("number", "string"):
            return tok
        if tok.kind == "eof":
            raise self.fail(f"expected a value after {op_tok.text!r}", tok.pos)
        if tok.kind == "(":
            raise self.fail(f"a list needs IN or NOT IN, not {op_tok.text!r}", tok.pos)
        raise self.fail(f"unexpected {_describe(tok)}: expected a value", tok.pos)

    def value_list(self, op: str) -> tuple[tuple[Scalar, ...], list[_Token]]:
        opening = self.next()
        if opening.kind != "(":
            raise self.fail(f"expected a list such as ('a', 'b') after {op}", opening.pos)
        items: list[_Token] = []
        while True:
            tok = self.next()
            if tok.kind not in ("number", "string"):
                if tok.kind == "eof":
                    raise self.fail("unclosed '('", opening.pos)
                what = "the list is empty" if tok.kind == ")" and not items else "expected a value"
                raise self.fail(f"unexpected {_describe(tok)}: {what}", tok.pos)
            items.append(tok)
            sep = self.next()
            if sep.kind == ")":
                return tuple(t.value for t in items), items
            if sep.kind == "eof":
                raise self.fail("unclosed '('", opening.pos)
            if sep.kind != ",":
                raise self.fail(f"unexpected {_describe(sep)}: expected ',' or ')'", sep.pos)

    def comparison(self) -> Comparison:
        kind, key, ident = self.identifier("a comparison such as metrics.acc > 0.9")
        op, op_tok = self.operator(ident)
        value: Value
        if op in LIST_OPS:
            value, value_toks = self.value_list(op)
        else:
            value_toks = [self.scalar(op_tok)]
            value = value_toks[0].value
        numeric = [t.kind == "number" for t in value_toks]
        if any(numeric) and not all(numeric):
            bad = value_toks[numeric.index(not numeric[0])]
            raise self.fail("a list cannot mix numbers and strings", bad.pos)
        is_num = numeric[0]
        ref = ident.text

        def reject_op(why: str) -> FilterSyntaxError:
            return self.fail(f"{op} is not supported for {ref}: {why}", op_tok.pos)

        def reject_value(why: str) -> FilterSyntaxError:
            return self.fail(f"bad value for {ref}: {why}", value_toks[0].pos)

        numeric_columns = {col for col, numeric in self.attributes.values() if numeric}
        if kind == "attribute" and key in numeric_columns:
            # Accept '3' as well as 3: MLflow users write quoted experiment ids.
            if not is_num and all(_INTEGER.fullmatch(str(t.value)) for t in value_toks):
                ints = tuple(int(str(t.value)) for t in value_toks)
                value, is_num = (ints if op in LIST_OPS else ints[0]), True
            if op in PATTERN_OPS:
                raise reject_op("it holds numbers")
            if not is_num:
                raise reject_value("expected a number")
        elif kind == "metric":
            if op not in NUMERIC_OPS:
                raise reject_op("metrics support = != < <= > >=")
            if not is_num:
                raise reject_value("metrics compare with numbers")
        elif op in PATTERN_OPS and _lone_escape(str(value)):
            raise reject_value("the pattern ends with a lone escape character '\\'")
        elif kind == "param":
            if is_num and op in PATTERN_OPS:
                raise reject_value(f"{op} needs a quoted pattern")
            if not is_num and op in ORDER_OPS:
                raise reject_value(f"{op} compares numbers; for text use = != LIKE ILIKE IN")
        else:  # tags and text attributes
            if op in ORDER_OPS:
                raise reject_op("it holds text; use = != LIKE ILIKE IN NOT IN")
            if is_num:
                raise reject_value(f"expected a quoted string, e.g. '{value_toks[0].text}'")
        return Comparison(kind, key, op, value)


def parse_filter(
    text: str | None, attributes: Mapping[str, tuple[str, bool]] = ATTRIBUTES
) -> list[Comparison]:
    """Parse a filter into its conjunction of comparisons (``""`` or ``None`` -> ``[]``);
    ``attributes`` maps attribute names to (column, numeric?) (default: the runs table's)."""
    if not text or not text.strip():
        return []
    if len(text) > MAX_FILTER_CHARS:
        raise InvalidValueError(
            f"a filter may have at most {MAX_FILTER_CHARS:,} characters, this one has {len(text):,}"
        )
    parser = _Parser(text, attributes)
    out: list[Comparison] = []
    values = 0
    while True:
        if len(out) == MAX_FILTER_CLAUSES:
            raise InvalidValueError(
                f"a filter may have at most {MAX_FILTER_CLAUSES} comparisons joined by AND; "
                f"this one has more (from position {parser.peek().pos} on)"
            )
        out.append(parser.comparison())
        if isinstance(out[-1].value, tuple):
            values += len(out[-1].value)
            if values > MAX_FILTER_VALUES:
                raise InvalidValueError(
                    f"a filter's IN lists may hold at most {MAX_FILTER_VALUES} values in all"
                )
        tok = parser.next()
        if tok.kind == "eof":
            return out
        if tok.value == "OR":
            raise parser.fail("OR is not supported; combine comparisons with AND", tok.pos)
        if tok.value != "AND":
            raise parser.fail(f"unexpected {_describe(tok)}: expected AND or the end", tok.pos)
        if parser.peek().kind == "eof":
            raise parser.fail("expected a comparison after AND", parser.peek().pos)


def parse_order_by(
    clauses: Sequence[str] | None, attributes: Mapping[str, tuple[str, bool]] = ATTRIBUTES
) -> list[OrderTerm]:
    """Parse order-by clauses such as ``"metrics.acc DESC"`` (the default direction is ASC)."""
    if isinstance(clauses, str):  # one clause, not a sequence of characters
        clauses = [clauses]
    clauses = list(clauses or ())
    if len(clauses) > MAX_ORDER_KEYS:
        raise InvalidValueError(
            f"a search may have at most {MAX_ORDER_KEYS} order-by clauses, got {len(clauses)}"
        )
    if any(len(clause) > MAX_FILTER_CHARS for clause in clauses):
        raise InvalidValueError(
            f"an order-by clause may have at most {MAX_FILTER_CHARS:,} characters"
        )
    terms: list[OrderTerm] = []
    for clause in clauses:
        parser = _Parser(clause, attributes)
        kind, key, _ = parser.identifier("a column such as metrics.acc or attributes.start_time")
        tok = parser.next()
        ascending = tok.value != "DESC"
        if tok.value in ("ASC", "DESC"):
            tok = parser.next()
        if tok.kind != "eof":
            raise parser.fail(
                f"unexpected {_describe(tok)}: expected ASC, DESC or the end", tok.pos
            )
        terms.append(OrderTerm(kind, key, ascending))
    return terms
