"""Every error becomes a JSON answer ``{"error": CODE, "message": ...}`` with a 4xx status;
bad input is never a 5xx."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tracklog.errors import (
    AlreadyExistsError,
    InvalidTypeError,
    InvalidValueError,
    NotFoundError,
    RunDeletedError,
    RunFinishedError,
    TracklogError,
)

_STATUS: list[tuple[type[Exception], int, str]] = [
    (NotFoundError, 404, "NOT_FOUND"),
    (AlreadyExistsError, 409, "ALREADY_EXISTS"),
    (InvalidValueError, 400, "INVALID_VALUE"),
    (InvalidTypeError, 400, "INVALID_VALUE"),
    (RunFinishedError, 409, "INVALID_STATE"),
    (RunDeletedError, 409, "INVALID_STATE"),
]


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The JSON error body every failure uses."""
    return JSONResponse({"error": code, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    """Map tracklog's exceptions and FastAPI's validation errors to JSON 4xx answers."""

    @app.exception_handler(TracklogError)
    async def _tracklog_error(_request: Request, exc: TracklogError) -> JSONResponse:
        for kind, status, code in _STATUS:
            if isinstance(exc, kind):
                return error_response(status, code, str(exc))
        return error_response(503, "STORE_UNAVAILABLE", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(400, "INVALID_VALUE", f"invalid request: {problems}")
