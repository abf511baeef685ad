"""Compile MLflow-style search filters and order-by clauses to one query over ``runs``.

Parsing lives in :mod:`tracklog.store.search_parse`. Each metric, param or tag comparison
becomes ``runs.id IN (SELECT run_id FROM <table> WHERE key = K AND <test>)``, a semi-join that
both databases answer from the (key, value_num) index; past :data:`MAX_SEMI_JOINS` of them,
the subqueries are INTERSECTed into one semi-join instead.
Order-by terms on them are LEFT OUTER JOINs on an alias filtered to the key. The same SQL runs
on both databases; the only dialect branches are LIKE and ILIKE on SQLite, whose LIKE ignores
the case of ASCII letters only (see :class:`_CaseSensitiveLike` and :class:`_CaseInsensitiveLike`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Float,
    FromClause,
    Select,
    and_,
    bindparam,
    func,
    intersect,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType

from tracklog.store.engine import UNICODE_LOWER
from tracklog.store.paging import Page
from tracklog.store.query_limits import searching
from tracklog.store.run_query import LIFECYCLES, RunQuery, checked_lifecycle
from tracklog.store.schema import params, run_summary, run_tags, runs
from tracklog.store.search_parse import (
    LIST_OPS,
    Comparison,
    OrderTerm,
    Value,
    parse_filter,
    parse_order_by,
)

__all__ = [
    "LIFECYCLES",
    "Comparison",
    "OrderTerm",
    "among",
    "compare",
    "comparison_clause",
    "parse_filter",
    "parse_order_by",
    "query_statement",
    "run_ids_page",
    "runs_query",
]

_TABLES = {"metric": run_summary, "param": params, "tag": run_tags}
_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _CaseSensitiveLike(FunctionElement[bool]):
    """``column LIKE pattern ESCAPE '\\'``, case-sensitive on every backend.

    Arguments: column, LIKE pattern, the same pattern as a GLOB. SQLite's LIKE ignores ASCII
    case (MLflow's LIKE does not), so on SQLite this compiles to GLOB instead.
    """

    # NullType, not Boolean: SQLite would render a Boolean-typed function as "(...) = 1".
    # (SQLAlchemy's stubs want the Boolean that the expression's Python type [bool] implies.)
    type = NullType()  # type: ignore[assignment]
    inherit_cache = True
    name = "cs_like"


@compiles(_CaseSensitiveLike)
def _like_default(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern, _ = element.clauses
    like = column.like(pattern, escape="\\")
    return f"({compiler.process(like, **kw)})"


@compiles(_CaseSensitiveLike, "sqlite")
def _like_sqlite(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column, _, glob = element.clauses
    glob_match = column.op("GLOB", is_comparison=True)(glob)
    return f"({compiler.process(glob_match, **kw)})"


class _CaseInsensitiveLike(FunctionElement[bool]):
    """``column ILIKE pattern ESCAPE '\\'``, ignoring the case of any letter on every backend.

    SQLite's LIKE and ``lower()`` know only ASCII letters, so there both sides are lowered by
    :data:`~tracklog.store.engine.UNICODE_LOWER`, a function every store connection has.
    """

    type = NullType()  # type: ignore[assignment]  # NullType: as _CaseSensitiveLike's
    inherit_cache = True
    name = "ci_like"


@compiles(_CaseInsensitiveLike)
def _ilike_default(element: _CaseInsensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern = element.clauses
    ilike = column.ilike(pattern, escape="\\")
    return f"({compiler.process(ilike, **kw)})"


@compiles(_CaseInsensitiveLike, "sqlite")
def _ilike_sqlite(element: _CaseInsensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern = element.clauses
    lower = getattr(func, UNICODE_LOWER)
    like = lower(column).like(lower(pattern), escape="\\")
    return f"({compiler.process(like, **kw)})"


def _like_to_glob(pattern: str) -> str:
    """Translate a LIKE pattern (escape character ``\\``) to the equivalent GLOB pattern."""
    out: list[str] = []
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            c = next(chars, "\\")
            out.append(f"[{c}]" if c in "*?[" else c)
        elif c in "%_":
            out.append("*" if c == "%" else "?")
        else:
            out.append(f"[{c}]" if c in "*?[" else c)  # GLOB's own wildcards, made literal
    return "".join(out)


def _bind(value: Any) -> Any:
    # Type float binds explicitly: against an integer column (start_time) PostgreSQL would
    # otherwise cast 1.5 to BIGINT and compare with 2.
    return literal(value, Float()) if isinstance(value, float) else value


def compare(column: Any, op: str, value: Value) -> ColumnElement[bool]:
    """``column op value`` for one parsed operator (LIKE case-sensitive on every backend)."""
    if op in LIST_OPS:
        values = [_bind(v) for v in value]  # type: ignore[union-attr]
        return column.in_(values) if op == "IN" else column.not_in(values)
    if op == "LIKE":
        return _CaseSensitiveLike(column, literal(value), literal(_like_to_glob(str(value))))
    if op == "ILIKE":
        return _CaseInsensitiveLike(column, literal(value))
    return _COMPARE[op](column, _bind(value))


def among(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN ids`` for integer ids, written into the SQL: bound one parameter each, a
    search of 65,536 experiments was more than PostgreSQL takes in one statement."""
    return column.in_(bindparam("ids", [int(i) for i in ids], unique=True, literal_execute=True))


def _is_number(value: Value) -> bool:
    first = value[0] if isinstance(value, tuple) else value
    return not isinstance(first, str)


# Comparisons on metrics, params and tags kept as separate semi-joins: PostgreSQL then picks
# the most selective to drive the others (a query on 1 of 20,000 runs: 10 ms instead of 60),
# but its planning time grows steeply with their number (50: 0.5 s, 100: 3.6 s, 200: ~20 s,
# all the run ids in one equivalence class), so more are INTERSECTed: planned in linear time.
MAX_SEMI_JOINS = 4


def comparison_clause(comparison: Comparison) -> ColumnElement[bool]:
    """The WHERE condition on ``runs`` for one parsed comparison."""
    if comparison.kind == "attribute":
        return compare(_attribute(comparison.key)[0], comparison.op, comparison.value)
    return runs.c.id.in_(_matching_runs(comparison))


def _matching_runs(c: Comparison) -> Select[Any]:
    """The ids of the runs that pass a metric, param or tag comparison."""
    table = _TABLES[c.kind]
    numeric = c.kind == "metric" or (c.kind == "param" and _is_number(c.value))
    column = table.c.value_num if numeric else table.c.value
    # "Has the key and the value matches", so != and NOT IN need the key too (MLflow semantics).
    # An uncorrelated semi-join rather than a correlated EXISTS: SQLite probes an EXISTS once per
    # run through the (run_id, key) primary key, but reads this subquery from the (key,
    # value_num) index, so selective filters skip the scan of runs (200 ms -> 6 ms on 100k runs).
    return select(table.c.run_id).where(table.c.key == c.key, compare(column, c.op, c.value))


def _filter_conditions(comparisons: Sequence[Comparison]) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``runs`` of a parsed filter (see :data:`MAX_SEMI_JOINS`)."""
    sides = [c for c in comparisons if c.kind != "attribute"]
    conditions = [comparison_clause(c) for c in comparisons if c.kind == "attribute"]
    if len(sides) <= MAX_SEMI_JOINS:
        return conditions + [comparison_clause(c) for c in sides]
    return [*conditions, runs.c.id.in_(intersect(*(_matching_runs(c) for c in sides)))]


def _attribute(key: str) -> tuple[ColumnElement[Any], bool]:
    """The SQL of an attribute and whether it can be NULL; ``duration`` is derived."""
    if key == "duration":
        return runs.c.end_time - runs.c.start_time, True
    return runs.c[key], bool(runs.c[key].nullable)


def _apply_order(stmt: Select[Any], terms: Sequence[OrderTerm]) -> Select[Any]:
    source: FromClause = runs
    order: list[Any] = []
    for i, term in enumerate(terms):
        if term.kind == "attribute":
            columns = [_attribute(term.key)]
        else:
            joined = _TABLES[term.kind].alias(f"order_{i}")
            on = and_(joined.c.run_id == runs.c.id, joined.c.key == term.key)
            source = source.outerjoin(joined, on)
            # After the outer join every column is NULL for runs without the key.
            names = {"metric": ["value_num"], "param": ["value_num", "value"], "tag": ["value"]}
            columns = [(joined.c[name], True) for name in names[term.kind]]
        for column, nullable in columns:
            if nullable:  # NULLs last in both directions, without NULLS LAST syntax
                order.append(column.is_(None))
            order.append(column.asc() if term.ascending else column.desc())
    order += [runs.c.start_time.desc(), runs.c.id.asc()]  # deterministic tie-breakers
    return stmt.select_from(source).order_by(*order)


def runs_query(
    filter: str | None = None,
    order_by: Sequence[str] | None = None,
    experiment_ids: Sequence[int] | None = None,
    lifecycle: str = "active",
) -> Select[Any]:
    """``select(runs)`` restricted by ``filter`` and sorted by ``order_by``.

    ``lifecycle`` is "active", "deleted" or "all"; ``experiment_ids=None`` means every
    experiment. Raises :class:`~tracklog.errors.FilterSyntaxError` for a bad filter or clause.
    """
    checked_lifecycle(lifecycle)
    conditions: list[ColumnElement[bool]] = []
    if lifecycle != "all":
        conditions.append(runs.c.lifecycle_stage == lifecycle)
    if experiment_ids is not None:
        conditions.append(among(runs.c.experiment_id, experiment_ids))
    conditions += _filter_conditions(parse_filter(filter))
    return _apply_order(select(runs).where(*conditions), parse_order_by(order_by))


def query_statement(query: RunQuery) -> Select[Any]:
    """``select(runs)`` of a query's matches in its order, sliced to its page plus one row
    (which shows whether another page follows); its projects must be resolved to ids."""
    if query.projects is not None:
        raise ValueError("resolve the query's projects to experiment ids first")
    stmt = runs_query(query.filter, query.order_by, query.experiment_ids, query.lifecycle)
    page = query.page
    if page is None:
        return stmt
    stmt = stmt.limit(page.limit + 1)
    return stmt.offset(page.offset) if page.offset else stmt


def run_ids_page(engine: Engine, query: RunQuery, count: bool = False) -> Page[str]:
    """One page of the ids of the runs matching ``query``, sliced in SQL (and the number of
    all matches if ``count``); its projects must be resolved to experiment ids."""
    ids = query_statement(query).with_only_columns(runs.c.id)
    with searching(engine) as conn:
        fetched = conn.execute(ids).scalars().all()
        total = None
        if count:  # counted without the order's joins, which change no count
            matches = runs_query(query.filter, None, query.experiment_ids, query.lifecycle)
            counting = select(func.count()).select_from(
                matches.with_only_columns(runs.c.id).subquery()
            )
            total = conn.execute(counting).scalar_one()
    return Page.of(list(fetched), query.page, total)
