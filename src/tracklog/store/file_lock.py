"""Exclusive advisory locks on a file, shared by processes (POSIX ``flock``).

Where the platform has no ``flock`` (Windows) the lock is a no-op: callers fall back to the
database's own locking (SQLite's file lock and busy timeout).
"""

from __future__ import annotations

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

AVAILABLE = fcntl is not None


def lock(fd: int) -> None:
    """Wait for the exclusive lock on the open file ``fd``."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def unlock(fd: int) -> None:
    """Release the lock taken by :func:`lock`."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
