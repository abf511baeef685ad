"""Time as the store keeps it: integer milliseconds since the epoch."""

from __future__ import annotations

import time


def now_ms() -> int:
    """The current time in integer milliseconds since the epoch."""
    return time.time_ns() // 1_000_000
