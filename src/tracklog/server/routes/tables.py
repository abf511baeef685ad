"""``GET /api/v1/runs/{id}/tables/{key}``: one page of a logged table (or a plot's data),
sorted, filtered and paged on the server (:func:`tracklog.store.tables.query_table`), so the
web UI's table viewer never loads a whole table."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Query

from tracklog.errors import InvalidValueError
from tracklog.server.auth import CAN_READ
from tracklog.server.encoding import wire_router
from tracklog.server.routes.media import ContextQuery, parse_context
from tracklog.server.state import StoreDep
from tracklog.store.table_items import table_record
from tracklog.store.tables import MAX_LIMIT, query_table

router = wire_router(prefix="/api/v1", tags=["media"])

MAX_ORDER_BY = 10
MAX_CLAUSE_CHARS = 1_000
# A GET request line must fit uvicorn's 16 KiB limit on what it reads before the headers.
MAX_FILTER_CHARS = 10_000
_DIRECTION = re.compile(r"\s+(asc|desc)$", re.IGNORECASE)

OrderByQuery = Annotated[
    list[str],
    Query(
        max_length=MAX_ORDER_BY,
        description='a column, then optionally ASC or DESC; repeat for ties ("`a b` DESC")',
    ),
]


def order_clause(text: str) -> tuple[str, bool]:
    """``(column, descending)`` of one ``order_by`` value: ``score``, ``score DESC``,
    ```my col` ASC``."""
    if len(text) > MAX_CLAUSE_CHARS:
        raise InvalidValueError(f"order_by: a clause is at most {MAX_CLAUSE_CHARS} characters")
    match = _DIRECTION.search(text)
    column = text[: match.start()] if match else text
    if len(column) > 1 and column.startswith("`") and column.endswith("`"):
        column = column[1:-1]
    if not column:
        raise InvalidValueError(f"order_by: no column in {text!r}")
    return column, match is not None and match.group(1).lower() == "desc"


@router.get("/runs/{run_id}/tables/{key:path}", dependencies=[CAN_READ])
def table_page(
    run_id: str,
    key: str,
    store: StoreDep,
    step: int | None = None,
    context: ContextQuery = None,
    order_by: OrderByQuery = [],  # noqa: B006 (FastAPI copies a query list's default)
    filter: Annotated[str | None, Query(max_length=MAX_FILTER_CHARS)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = 100,
) -> Any:
    """Rows ``offset`` to ``offset + limit`` of the table (or plot) ``key`` logged at ``step``
    (default: the last), of the rows matching ``filter``, sorted by ``order_by``: with its
    ``columns``, each row's id in the stored table, the ``total`` matching, and the page's
    media cells' metadata."""
    record = table_record(store.media(run_id, key, parse_context(context)), run_id, key, step)
    clauses = [order_clause(clause) for clause in order_by]
    with store.open_file(run_id, record.path) as file:
        page = query_table(file, order_by=clauses, filter=filter, offset=offset, limit=limit)
    return {
        "key": record.key,
        "context": record.context,
        "step": record.step,
        "kind": record.kind,
        "meta": record.meta,
        "columns": page.columns,
        "rows": page.rows,
        "row_ids": page.row_ids,
        "total": page.total,
        "offset": offset,
        "cells": {
            column: {str(row): meta for row, meta in cells.items()}
            for column, cells in page.cells.items()
        },
    }
