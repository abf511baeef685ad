"""Every error becomes a JSON answer ``{"error": CODE, "message": ...}`` with a 4xx status;
bad input is never a 5xx. A store that cannot be written (a full disk) is a 503, and an
unexpected error is still JSON: a 500 in the shape of the route's API."""

from __future__ import annotations

import errno

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from tracklog.errors import WIRE_ERRORS, TracklogError
from tracklog.server.mlflow_api import MLFLOW_PREFIXES
from tracklog.server.mlflow_api.errors import MlflowError
from tracklog.server.mlflow_api.errors import error_response as mlflow_error

# Sent with every 401: the schemes the server accepts (a browser then asks for a password).
CHALLENGE = 'Basic realm="tracklog", charset="UTF-8", Bearer realm="tracklog"'


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The JSON error body every failure uses."""
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


# Errors of the store's disk rather than of a request: full, over quota, a file past the
# size limit, failing or read-only.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})

# Framework errors (no route, wrong method) by status: the code a client reads.
_HTTP_CODES = {
    404: ("NOT_FOUND", "ENDPOINT_NOT_FOUND"),
    405: ("METHOD_NOT_ALLOWED", "ENDPOINT_NOT_FOUND"),
    413: ("REQUEST_TOO_LARGE", "RESOURCE_LIMIT_EXCEEDED"),
}


def store_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the store cannot be used right now (its database unreachable,
    locked or full, its disk full or failing): a 503 the client may retry, not its fault."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS


def _reason(exc: BaseException) -> str:
    """What went wrong, without the SQL statement or its parameters."""
    if isinstance(exc, DBAPIError):
        return str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def _mlflow_path(request: Request) -> bool:
    return request.url.path.startswith(MLFLOW_PREFIXES)


def _answer(
    request: Request, status: int, code: str, mlflow_code: str, message: str
) -> JSONResponse:
    """The error in the shape of the route's API: MLflow's on MLflow's paths."""
    if _mlflow_path(request):
        return mlflow_error(MlflowError(mlflow_code, message))
    return error_response(status, code, message)


def install(app: FastAPI) -> None:
    """Map tracklog's exceptions and FastAPI's validation errors to JSON 4xx answers, a
    store that cannot be used to a 503, anything else to a JSON 500."""

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code, mlflow_code = _HTTP_CODES.get(exc.status_code, ("INVALID_VALUE", "BAD_REQUEST"))
        response = _answer(request, exc.status_code, code, mlflow_code, str(exc.detail))
        response.status_code = exc.status_code
        response.headers.update(exc.headers or {})
        return response

    async def _maybe_unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not store_unavailable(exc):
            raise exc  # not the store's state: an unexpected error, answered below
        message = f"the store cannot be used right now, try again later: {_reason(exc)}"
        return _answer(request, 503, "STORE_UNAVAILABLE", "TEMPORARILY_UNAVAILABLE", message)

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
        return _answer(request, 500, "INTERNAL_ERROR", "INTERNAL_ERROR", message)

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
