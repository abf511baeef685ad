"""Errors in MLflow's shape: ``{"error_code": ..., "message": ...}`` with MLflow's statuses.

The mlflow client retries 5xx answers for minutes, so bad input must never be one: every
tracklog error and every validation failure maps to a 4xx code MLflow knows, except a store
that cannot serve now (TEMPORARILY_UNAVAILABLE, 503) and one that failed (a 500).
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tracklog.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidTypeError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
    ProjectDeletedError,
    RateLimitedError,
    RequestTooLargeError,
    RunDeletedError,
    RunFinishedError,
    StoreUnavailableError,
    TracklogError,
)

# MLflow's ErrorCode → HTTP status (mlflow/server/handlers.py and protos/databricks.proto).
STATUS = {
    "INTERNAL_ERROR": 500,
    "TEMPORARILY_UNAVAILABLE": 503,
    "INVALID_PARAMETER_VALUE": 400,
    "BAD_REQUEST": 400,
    "INVALID_STATE": 400,
    "MALFORMED_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "NOT_FOUND": 404,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_LIMIT_EXCEEDED": 400,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "NOT_IMPLEMENTED": 501,
}

# tracklog's exceptions → MLflow error codes; the first match wins, so subclasses go first.
_CODES: tuple[tuple[type[TracklogError], str], ...] = (
    (NotFoundError, "RESOURCE_DOES_NOT_EXIST"),
    (AlreadyExistsError, "RESOURCE_ALREADY_EXISTS"),
    (StoreUnavailableError, "TEMPORARILY_UNAVAILABLE"),
    (RequestTooLargeError, "RESOURCE_LIMIT_EXCEEDED"),
    (AuthenticationError, "UNAUTHENTICATED"),
    (RateLimitedError, "REQUEST_LIMIT_EXCEEDED"),
    (PermissionDeniedError, "PERMISSION_DENIED"),
    (InvalidValueError, "INVALID_PARAMETER_VALUE"),
    (InvalidTypeError, "INVALID_PARAMETER_VALUE"),
    (RunFinishedError, "INVALID_STATE"),
    (RunDeletedError, "INVALID_STATE"),
    (ProjectDeletedError, "INVALID_PARAMETER_VALUE"),
)


class MlflowError(Exception):
    """An error answered to an MLflow client as ``{"error_code", "message"}``."""

    def __init__(self, error_code: str, message: str) -> None:
        if error_code not in STATUS:
            raise ValueError(f"unknown MLflow error code {error_code!r}")
        super().__init__(message)
        self.error_code = error_code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.error_code]


def invalid(message: str) -> MlflowError:
    """The error for a bad argument: INVALID_PARAMETER_VALUE (400)."""
    return MlflowError("INVALID_PARAMETER_VALUE", message)


def to_mlflow_error(exc: Exception) -> MlflowError | None:
    """``exc`` as MLflow would report it, or None for an unexpected error (a real 500)."""
    if isinstance(exc, MlflowError):
        return exc
    if isinstance(exc, ProjectDeletedError) and exc.project_id is not None:  # MLflow's words
        return invalid(f"The experiment {exc.project_id} must be in the 'active' state.")
    if isinstance(exc, TracklogError):
        for kind, code in _CODES:
            if isinstance(exc, kind):
                return MlflowError(code, str(exc))
        return None  # a store failure a retry cannot cure (a bug)
    if isinstance(exc, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return invalid(f"invalid request: {problems}")
    if isinstance(exc, OverflowError):
        return invalid(f"a number is out of range: {exc}")
    return None


def error_response(error: MlflowError) -> JSONResponse:
    """The JSON answer for ``error``."""
    return JSONResponse(
        {"error_code": error.error_code, "message": error.message}, status_code=error.status
    )
