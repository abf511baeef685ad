"""Is the process that owns a RUNNING run still there? psutil answers on every platform.

psutil is imported on first use, so ``import tracklog`` does not pay for it.
"""

from __future__ import annotations

import os
import socket
from typing import Any

# Earlier versions recorded Linux clock ticks since boot; start times in ms since the epoch
# are above this (any date after 2001), ticks below it (any uptime under 300 years).
_TICKS_BELOW = 10**12
# A start time read again may differ by a stepped clock: Linux derives it from the boot time,
# which moves when the clock is set. A pid is not handed out again within a second.
_SAME_START_S = 1.0


def process_started(pid: int) -> int | None:
    """When process ``pid`` started, in ms since the epoch, or None if unknown.

    Together with the pid it tells a live owner from a new process that reused its pid.
    """
    import psutil

    try:
        return round(psutil.Process(pid).create_time() * 1000)
    except (psutil.Error, ValueError, OverflowError):
        return None


def owner_columns(
    owned: bool, pid: int | None, started: int | None, host: str | None
) -> dict[str, Any]:
    """The owner of a run (``pid``, ``pid_started``, ``host``): process ``pid`` (default: the
    calling one) on ``host`` (default: this machine), or none when not ``owned``, a run only
    its client ends. A server's client fills them in, since the server's own would be wrong."""
    if not owned:
        return {"pid": None, "pid_started": None, "host": host}
    if pid is None:
        pid, started = os.getpid(), process_started(os.getpid())
    return {"pid": pid, "pid_started": started, "host": host or socket.gethostname()}


def process_alive(pid: int, started: int | None = None) -> bool:
    """Whether ``pid`` exists, is not a zombie and (when known) started at ``started``."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:  # killed, not yet reaped by its parent
            return False
        return started is None or abs(proc.create_time() - _epoch_s(started)) <= _SAME_START_S
    except psutil.NoSuchProcess:  # gone (a zombie psutil cannot read is gone too)
        return False
    except psutil.AccessDenied:  # another user's process: it exists
        return True
    except (ValueError, OverflowError):  # not a pid any process can have
        return False


def _epoch_s(started: int) -> float:
    """A recorded start time in seconds since the epoch (older records hold Linux ticks)."""
    if started >= _TICKS_BELOW:
        return started / 1000
    import psutil

    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return psutil.boot_time() + started / ticks
