"""Every error becomes a JSON answer ``{"error": CODE, "message": ...}`` with a 4xx status;
bad input is never a 5xx. A store that cannot serve now (``tracklog.errors.retryable``: the
store's own StoreUnavailableError, a full or failing disk) is a 503, and an unexpected error is
still JSON: a 500 in the shape of the route's API. The store maps its database's errors to
tracklog's; nothing here knows the database."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tracklog.errors import WIRE_ERRORS, TracklogError, retryable
from tracklog.server.mlflow_api import MLFLOW_PREFIXES

# Sent with every 401: the schemes the server accepts (a browser then asks for a password).
CHALLENGE = 'Basic realm="tracklog", charset="UTF-8", Bearer realm="tracklog"'


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The JSON error body every failure uses."""
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


# The MLflow code of an error answered before (or outside) a route, by status.
_MLFLOW_CODES = {
    400: "BAD_REQUEST",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "ENDPOINT_NOT_FOUND",
    413: "RESOURCE_LIMIT_EXCEEDED",
    415: "BAD_REQUEST",
    500: "INTERNAL_ERROR",
    503: "TEMPORARILY_UNAVAILABLE",
}
# tracklog's code of the framework's own errors (no such route, a method it does not take).
_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}


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

    @app.exception_handler(OSError)
    async def _maybe_unavailable(request: Request, exc: OSError) -> JSONResponse:
        if not retryable(exc):
            raise exc  # not the disk's state: an unexpected error, answered below
        message = f"the store cannot be used right now, try again later: {exc.strerror or exc}"
        return error_for(request.url.path, 503, "STORE_UNAVAILABLE", message)

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
        raise exc  # a store failure a retry cannot cure (a bug): a 500, logged, answered above

    # A safety net: a number beyond what the database's integers hold is the client's error.
    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, exc: OverflowError) -> JSONResponse:
        return error_response(400, "INVALID_VALUE", f"a number is out of range: {exc}")

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(400, "INVALID_VALUE", f"invalid request: {problems}")
