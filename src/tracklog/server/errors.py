"""Every error becomes a JSON answer ``{"error": CODE, "message": ...}`` with a 4xx status;
bad input is never a 5xx. A store that cannot be written (a full disk) is a 503, and an
unexpected error is still JSON: a 500 in the shape of the route's API."""

from __future__ import annotations

import errno
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from tracklog.errors import WIRE_ERRORS, TracklogError
from tracklog.server.mlflow_api import MLFLOW_PREFIXES

# Sent with every 401: the schemes the server accepts (a browser then asks for a password).
CHALLENGE = 'Basic realm="tracklog", charset="UTF-8", Bearer realm="tracklog"'


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The JSON error body every failure uses."""
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


# Errors of the store's disk rather than of a request: full, over quota, a file past the
# size limit, failing or read-only.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})

# The MLflow code of an error answered before (or outside) a route, by status.
_MLFLOW_CODES = {
    400: "BAD_REQUEST",
    404: "ENDPOINT_NOT_FOUND",
    405: "ENDPOINT_NOT_FOUND",
    413: "RESOURCE_LIMIT_EXCEEDED",
    415: "BAD_REQUEST",
    500: "INTERNAL_ERROR",
    503: "TEMPORARILY_UNAVAILABLE",
}
# tracklog's code of the framework's own errors (no such route, a method it does not take).
_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}


# Driver errors that say the database cannot serve now (a retry may succeed), by SQLite's
# primary result code (busy, locked, out of memory, read-only, I/O error, full, cannot open,
# locking protocol) and by PostgreSQL's SQLSTATE class (connection, insufficient resources
# such as a full disk, operator intervention such as a cancelled query, system error).
_SQLITE_UNAVAILABLE = frozenset({5, 6, 7, 8, 10, 13, 14, 15})
_PG_UNAVAILABLE = ("08", "53", "57", "58")
# ... and those that say a request asked more than the database takes: SQLite's "string or
# blob too big", PostgreSQL's class 54 (program limit exceeded: a statement too complex).
_SQLITE_TOO_BIG = frozenset({18})
_PG_TOO_BIG = ("54",)
# SQLite's messages for those codes (sqlite3_errstr), for Python before 3.11.
_SQLITE_MESSAGES = {
    "database is locked": 5,
    "database table is locked": 6,
    "out of memory": 7,
    "attempt to write a readonly database": 8,
    "disk I/O error": 10,
    "database or disk is full": 13,
    "unable to open database file": 14,
    "locking protocol": 15,
    "string or blob too big": 18,
}


def store_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the store cannot be used right now (its database unreachable,
    locked or full, its disk full or failing): a 503 the client may retry, not its fault."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, InterfaceError):
            return True
        return isinstance(exc, OperationalError) and _driver_code(
            exc, _SQLITE_UNAVAILABLE, _PG_UNAVAILABLE
        )
    return isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS


def beyond_database_limits(exc: BaseException) -> bool:
    """Whether ``exc`` says the request asked more than the database takes (a 400)."""
    return isinstance(exc, OperationalError) and _driver_code(exc, _SQLITE_TOO_BIG, _PG_TOO_BIG)


def _driver_code(
    exc: DBAPIError, sqlite_codes: frozenset[int], pg_classes: tuple[str, ...]
) -> bool:
    if isinstance(exc.orig, sqlite3.Error):
        code = getattr(exc.orig, "sqlite_errorcode", None)  # Python 3.11+; before, its text
        if code is None:
            code = _SQLITE_MESSAGES.get(str(exc.orig).split(" (", 1)[0])
        return code is not None and code & 0xFF in sqlite_codes
    state = getattr(exc.orig, "sqlstate", None)
    return isinstance(state, str) and state.startswith(pg_classes)


def _reason(exc: BaseException) -> str:
    """What went wrong, without the SQL statement or its parameters."""
    if isinstance(exc, DBAPIError):
        return str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def error_for(path: str, status: int, code: str, message: str) -> JSONResponse:
    """The error for a request to ``path`` in its API's shape: MLflow's (with the MLflow code
    of ``status``) on MLflow's paths, tracklog's ``code`` on the others. For answers given
    before or outside a route (middleware, the framework, the last resort)."""
    if path.startswith(MLFLOW_PREFIXES):
        body = {"error_code": _MLFLOW_CODES.get(status, "BAD_REQUEST"), "message": message}
        return JSONResponse(body, status_code=status)
    return error_response(status, code, message)


def install(app: FastAPI) -> None:
    """Map tracklog's exceptions and FastAPI's validation errors to JSON 4xx answers, a
    store that cannot be used to a 503, anything else to a JSON 500."""

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "INVALID_VALUE")
        response = error_for(request.url.path, exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    async def _maybe_unavailable(request: Request, exc: Exception) -> JSONResponse:
        if beyond_database_limits(exc):
            message = f"the request is more than the store can take: {_reason(exc)}"
            return error_for(request.url.path, 400, "INVALID_VALUE", message)
        if not store_unavailable(exc):
            raise exc  # not the store's state: an unexpected error, answered below
        message = f"the store cannot be used right now, try again later: {_reason(exc)}"
        return error_for(request.url.path, 503, "STORE_UNAVAILABLE", message)

    for kind in (DBAPIError, OSError):
        app.add_exception_handler(kind, _maybe_unavailable)

    # Starlette calls the handler of Exception last, outside every middleware, and then
    # re-raises, so the server logs the traceback once; the client still gets JSON.
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        message = (
            f"the server failed to answer this request ({type(exc).__name__}); "
            "its log has the details"
        )
        return error_for(request.url.path, 500, "INTERNAL_ERROR", message)

    @app.exception_handler(TracklogError)
    async def _tracklog_error(_request: Request, exc: TracklogError) -> JSONResponse:
        for kind, status, code in WIRE_ERRORS:
            if isinstance(exc, kind):
                return error_response(status, code, str(exc))
        return error_response(503, "STORE_UNAVAILABLE", str(exc))

    # Safety nets: input that passed validation but that the database cannot hold (a number
    # beyond its integer range, a text longer than a column) is still the client's error.
    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        reason = str(exc.orig).splitlines()[0] if exc.orig else "bad value"
        return error_response(400, "INVALID_VALUE", f"the store cannot hold a value: {reason}")

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, exc: OverflowError) -> JSONResponse:
        return error_response(400, "INVALID_VALUE", f"a number is out of range: {exc}")

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(400, "INVALID_VALUE", f"invalid request: {problems}")
