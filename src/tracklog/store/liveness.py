"""Is the process that owns a RUNNING run still there? (Linux reads /proc; elsewhere, a signal.)"""

from __future__ import annotations

import os


def process_started(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, or None if unknown.

    Together with the pid it tells a live owner from a new process that reused its pid.
    """
    try:
        with open(f"/proc/{pid}/stat") as f:
            # Field 22; the command name (field 2) may hold spaces, so count after its ")".
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def process_alive(pid: int, started: int | None = None) -> bool:
    """Whether ``pid`` exists, is not a zombie and (when known) started at ``started``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return True  # no /proc: the signal said it exists
    if fields[0] == "Z":  # killed, not yet reaped by its parent
        return False
    return started is None or int(fields[19]) == started
