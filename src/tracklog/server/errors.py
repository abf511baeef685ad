"""Every error becomes a JSON answer ``{"error": CODE, "message": ...}`` with a 4xx status;
bad input is never a 5xx."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from tracklog.errors import WIRE_ERRORS, TracklogError

# Sent with every 401: the schemes the server accepts (a browser then asks for a password).
CHALLENGE = 'Basic realm="tracklog", charset="UTF-8", Bearer realm="tracklog"'


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The JSON error body every failure uses."""
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Map tracklog's exceptions and FastAPI's validation errors to JSON 4xx answers."""

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
