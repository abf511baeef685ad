"""The filter of a table query: parsed from text, applied to pyarrow columns.

Conditions joined by ``and`` (any case)::

    column op value [and column op value ...]

``op`` is one of ``=`` (or ``==``), ``!=``, ``<``, ``<=``, ``>``, ``>=`` and ``contains`` (a
case-insensitive substring of a text cell). A column is a bare name (letters, digits, ``_``,
``.``, ``-``) or a name in backticks (```my column```); a value is a number, a string in
single or double quotes (a backslash escapes the next character), ``true``, ``false`` or
``null``. A comparison is false for a null cell; ``column = null`` and ``column != null`` test
for missing cells. NaN is neither equal to, less nor greater than anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tracklog.errors import FilterSyntaxError, InvalidValueError

_OPS = ("=", "==", "!=", "<", "<=", ">", ">=", "contains")


@dataclass(frozen=True)
class Condition:
    """One ``column op value`` of a filter."""

    column: str
    op: str
    value: Any


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<backquoted>`[^`]+`)
      | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
      | (?P<op><=|>=|!=|==|=|<|>)
      | (?P<word>[A-Za-z_][\w.\-]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """``(kind, text, position)`` of each token of a filter."""
    found = []
    at = 0
    while text[at:].strip():
        match = _TOKEN.match(text, at)
        if match is None or match.lastgroup is None:
            position = len(text) - len(text[at:].lstrip())
            raise FilterSyntaxError("unexpected character in the table filter", text, position)
        found.append((match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)))
        at = match.end()
    return found


def _value(kind: str, token: str, text: str, position: int) -> Any:
    if kind == "quoted":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    if kind == "number":
        number = float(token)
        return int(token) if re.fullmatch(r"-?\d+", token) else number
    lowered = token.lower()
    if kind == "word" and lowered in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[lowered]
    raise FilterSyntaxError(
        "expected a value: a number, a quoted string, true, false or null", text, position
    )


def parse_filter(text: str) -> list[Condition]:
    """The conditions of a table filter (see the module's grammar); raises
    :class:`~tracklog.errors.FilterSyntaxError` pointing at the bad token."""
    # The end of the text reads as a token of its own, so a missing part points there.
    tokens = [*_tokens(text), ("end", "", len(text))]
    conditions = []
    at = 0
    while True:
        (ckind, column, cpos), (okind, op, opos), (vkind, value, vpos) = (
            tokens[min(at + i, len(tokens) - 1)] for i in range(3)
        )
        if ckind not in ("word", "backquoted"):
            raise FilterSyntaxError("expected a column name", text, cpos)
        op = op.lower()
        if not (okind == "op" or (okind == "word" and op == "contains")):
            raise FilterSyntaxError(f"expected one of {', '.join(_OPS)}", text, opos)
        name = column[1:-1] if ckind == "backquoted" else column
        conditions.append(
            Condition(name, "=" if op == "==" else op, _value(vkind, value, text, vpos))
        )
        at += 3
        if tokens[at][0] == "end":
            return conditions
        if tokens[at][0] != "word" or tokens[at][1].lower() != "and":
            raise FilterSyntaxError("expected 'and' between conditions", text, tokens[at][2])
        at += 1


def _kind(arrow_type: Any) -> str:
    import pyarrow as pa

    for kind, test in (
        ("bool", pa.types.is_boolean),
        ("number", lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)),
        ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("null", pa.types.is_null),
    ):
        if test(arrow_type):
            return kind
    return str(arrow_type)


_VALUES = {"bool": (bool,), "number": (int, float), "text": (str,)}


def _condition(column: Any, condition: Condition) -> Any:
    """A boolean array: where ``condition`` holds (null where the cell is null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    name, op, value = condition.column, condition.op, condition.value
    if value is None:
        if op not in ("=", "!="):
            raise InvalidValueError(f"table filter: {name} {op} null: null compares with = or !=")
        return pc.is_null(column) if op == "=" else pc.is_valid(column)
    kind = _kind(column.type)
    if kind == "null":
        return pa.nulls(len(column), pa.bool_())
    allowed = _VALUES.get(kind, ())
    if not isinstance(value, allowed) or (kind == "number" and isinstance(value, bool)):
        raise InvalidValueError(
            f"table filter: column {name!r} holds {kind} values; {value!r} cannot be compared "
            "with them"
        )
    if op == "contains":
        if kind != "text":
            raise InvalidValueError(f"table filter: contains takes a text column; {name!r} is not")
        return pc.match_substring(column, value, ignore_case=True)
    if kind == "bool" and op not in ("=", "!="):
        raise InvalidValueError(f"table filter: {name} {op} ...: a bool compares with = or !=")
    compare = {
        "=": pc.equal,
        "!=": pc.not_equal,
        "<": pc.less,
        "<=": pc.less_equal,
        ">": pc.greater,
        ">=": pc.greater_equal,
    }[op]
    try:
        return compare(column, pa.scalar(value))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError) as exc:
        raise InvalidValueError(f"table filter: {name} {op} {value!r}: {exc}") from exc


def matching(table: Any, conditions: list[Condition]) -> Any:
    """A boolean array over the rows of the pyarrow ``table``: where every condition holds."""
    import pyarrow.compute as pc

    result = None
    for condition in conditions:
        holds = pc.fill_null(_condition(table.column(condition.column), condition), False)
        result = holds if result is None else pc.and_(result, holds)
    return result
