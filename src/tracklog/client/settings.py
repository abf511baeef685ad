"""The remote client's settings, from ``TRACKLOG_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tracklog.client import credentials
from tracklog.errors import InvalidValueError

ENV_TOKEN = "TRACKLOG_TOKEN"


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts (seconds) and the retry schedule of the remote client."""

    token: str | None = None
    request_timeout: float = 60.0  # one request, once connected (a large batch takes a while)
    connect_timeout: float = 5.0
    init_timeout: float = 5.0  # init() asking whether a run exists, before falling back
    finish_timeout: float = 30.0  # finish() waiting for the backlog to reach the server
    retry_min: float = 0.5  # first wait after a failed send; doubles up to retry_max
    retry_max: float = 30.0

    @classmethod
    def from_env(cls, url: str | None = None) -> ClientSettings:
        """Settings from ``TRACKLOG_TOKEN`` (else the token ``tracklog login`` saved for the
        server at ``url``), ``TRACKLOG_HTTP_TIMEOUT``, ``TRACKLOG_INIT_TIMEOUT``,
        ``TRACKLOG_FINISH_TIMEOUT``, ``TRACKLOG_RETRY_MIN`` and ``TRACKLOG_RETRY_MAX``;
        defaults for the rest."""
        token = os.environ.get(ENV_TOKEN) or None
        if token is None and url is not None:
            token = credentials.token_for(url)
        return cls(
            token=token,
            request_timeout=_seconds("TRACKLOG_HTTP_TIMEOUT", cls.request_timeout),
            init_timeout=_seconds("TRACKLOG_INIT_TIMEOUT", cls.init_timeout),
            finish_timeout=_seconds("TRACKLOG_FINISH_TIMEOUT", cls.finish_timeout),
            retry_min=_seconds("TRACKLOG_RETRY_MIN", cls.retry_min),
            retry_max=_seconds("TRACKLOG_RETRY_MAX", cls.retry_max),
        )


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses NaN
        raise InvalidValueError(f"${name} must be a number of seconds >= 0, got {raw!r}")
    return value
