"""W&B's ``run.alert()``: levels, and the wait between two alerts of one title."""

from __future__ import annotations

import enum
import time
from datetime import timedelta

from tracklog.errors import InvalidTypeError, InvalidValueError

DEFAULT_WAIT_S = 60.0  # W&B's default wait_duration


class AlertLevel(str, enum.Enum):
    """An alert's level (``tracklog.AlertLevel.WARN``, as ``wandb.AlertLevel``)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


def level_name(level: str | AlertLevel | None) -> str:
    """The level as stored: INFO (the default), WARN or ERROR."""
    if level is None:
        return AlertLevel.INFO.value
    return level.value if isinstance(level, AlertLevel) else level


def wait_seconds(wait_duration: float | timedelta | None) -> float:
    """``wait_duration`` in seconds (None: a minute); a negative or odd one raises."""
    if wait_duration is None:
        return DEFAULT_WAIT_S
    if isinstance(wait_duration, timedelta):
        seconds = wait_duration.total_seconds()
    elif isinstance(wait_duration, int | float) and not isinstance(wait_duration, bool):
        seconds = float(wait_duration)
    else:
        raise InvalidTypeError(
            f"wait_duration must be seconds or a timedelta, got {type(wait_duration).__name__}"
        )
    if not seconds >= 0:
        raise InvalidValueError(f"wait_duration must be >= 0 seconds, got {wait_duration!r}")
    return seconds


class Throttle:
    """When each title last alerted, so one within its wait is dropped (as W&B does)."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def allows(self, title: str, wait_s: float) -> bool:
        """Whether an alert ``title`` may go now; if so it counts as sent now."""
        now = time.monotonic()
        last = self._last.get(title)
        if last is not None and now - last < wait_s:
            return False
        self._last[title] = now
        return True
