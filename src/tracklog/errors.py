"""Exception classes raised by every layer of tracklog.

Each error derives from :class:`TracklogError`; validation errors also derive from the built-in
exception a Python user would expect (``ValueError`` or ``TypeError``), so ordinary ``except``
clauses keep working.
"""

from __future__ import annotations

import errno


class TracklogError(Exception):
    """Base class of every error tracklog raises on purpose."""


class InvalidValueError(TracklogError, ValueError):
    """A name, key, value or argument was rejected; the message names what was wrong."""


class InvalidTypeError(TracklogError, TypeError):
    """A value had a type tracklog cannot store; the message names the key."""


class NotFoundError(TracklogError, LookupError):
    """A run, project or file that does not exist was asked for."""


class AlreadyExistsError(TracklogError):
    """Something that must be unique exists already."""


class StoreError(TracklogError):
    """The store could not be opened or written."""


class StoreUnavailableError(StoreError):
    """The store cannot serve right now (its database unreachable, locked, busy or full, its
    disk full or failing, its server away); the same call may succeed later."""


class RunDeletedError(TracklogError):
    """A write to a run that is in the trash."""


class ProjectDeletedError(TracklogError):
    """A write into a project that is in the trash (a new, resumed or imported run, an MLflow
    experiment tag or logged model). ``project_id`` is the project's id where known."""

    def __init__(self, message: str, project_id: int | None = None) -> None:
        super().__init__(message)
        self.project_id = project_id


class RunFinishedError(TracklogError, RuntimeError):
    """A run was used after ``finish()``."""


class FilterSyntaxError(InvalidValueError):
    """A search filter or order-by clause could not be parsed.

    ``position`` is the 0-based offset of the bad token in ``text``.
    """

    def __init__(self, message: str, text: str, position: int) -> None:
        pointer = " " * position + "^"
        super().__init__(f"{message}\n  {text}\n  {pointer}")
        self.text = text
        self.position = position


class RequestTooLargeError(InvalidValueError):
    """A request carried more than a server limit allows; the message names the limit."""


class SearchTimeoutError(InvalidValueError):
    """A search ran longer than the store allows (``tracklog server --search-timeout``)."""


class AuthenticationError(TracklogError):
    """Credentials were missing, malformed or wrong (the message never repeats a secret)."""


class RateLimitedError(TracklogError):
    """Too many failed attempts (logins): refused without a check for ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermissionDeniedError(TracklogError, PermissionError):
    """The user lacks the permission an action needs; the message names project and level."""


# How each error travels over HTTP: (exception, status, code). The server answers with the
# first entry whose exception matches; the client turns a code back into its exception.
WIRE_ERRORS: tuple[tuple[type[TracklogError], int, str], ...] = (
    (NotFoundError, 404, "NOT_FOUND"),
    (AlreadyExistsError, 409, "ALREADY_EXISTS"),
    (StoreUnavailableError, 503, "STORE_UNAVAILABLE"),
    (RequestTooLargeError, 413, "REQUEST_TOO_LARGE"),
    (SearchTimeoutError, 400, "SEARCH_TIMEOUT"),
    (AuthenticationError, 401, "UNAUTHENTICATED"),
    (RateLimitedError, 429, "TOO_MANY_REQUESTS"),
    (PermissionDeniedError, 403, "PERMISSION_DENIED"),
    (InvalidValueError, 400, "INVALID_VALUE"),
    (InvalidTypeError, 400, "INVALID_VALUE"),
    (RunFinishedError, 409, "INVALID_STATE"),
    (RunDeletedError, 409, "RUN_DELETED"),
    (ProjectDeletedError, 409, "PROJECT_DELETED"),
)

# HTTP statuses that say "not now" rather than "not this": a client retries them later.
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})

# Errors of a disk rather than of a request: full, over quota, a file past the size limit,
# failing or read-only.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


def retryable(exc: BaseException) -> bool:
    """Whether a call that failed with ``exc`` may succeed if made again later: the store (or
    the server, or the disk under it) could not serve, as opposed to refusing what was asked.

    The one rule of what is retried: the SDK's writer and rescue retry these, the journal
    sender retries them, and the server answers them with a 503. The store turns database
    errors into :class:`StoreUnavailableError` (``tracklog.store.db_errors``) and the HTTP
    client turns :data:`RETRY_STATUSES` and unreachable servers into it.
    """
    if isinstance(exc, StoreUnavailableError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS
