"""Password checks under attack: failed logins counted per client address and per user name
(429 with Retry-After past the limit), and only a few argon2 checks at a time.

argon2 is slow and memory-hard on purpose (64 MiB a check with the default costs), so every
guess of a password costs the server far more than it costs the guesser. Credentials that
passed before are answered from :class:`AuthStore`'s cache and tokens need no argon2, so
neither is ever held up by these limits. Counters live in each server process (a server with
``--workers N`` allows up to N times as many failures in all).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import anyio
from starlette.concurrency import run_in_threadpool

from tracklog.errors import AuthenticationError, RateLimitedError
from tracklog.store.auth import AuthStore, User
from tracklog.store.validation import MAX_NAME

CHECKS_AT_ONCE = 2  # concurrent argon2 checks per process: 2 × 64 MiB at most
MAX_WAITING = 32  # checks waiting for a turn; more are refused at once (429), not queued
MAX_COUNTERS = 10_000  # addresses and names tracked; the least recently failed are dropped
CHECK_NICENESS = 10  # added to the check threads' nice value: any other work goes first


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins are allowed within ``window_s`` seconds (the defaults are
    :class:`~tracklog.server.settings.Settings`')."""

    per_user: int
    per_address: int
    window_s: float


class FailedLogins:
    """Recent failed logins per client address and per user name, in a sliding window.

    Used from the event loop only (no lock). ``now`` is a ``time.monotonic()`` reading."""

    def __init__(self, limits: LoginLimits) -> None:
        self.limits = limits
        self._times: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def check(self, address: str, user: str, now: float | None = None) -> None:
        """Raise :class:`RateLimitedError` if ``address`` or ``user`` is over its limit."""
        now = time.monotonic() if now is None else now
        for kind, key, limit in self._keys(address, user):
            times = self._recent((kind, key), now)
            if len(times) >= limit:
                wait = max(1, math.ceil(times[0] + self.limits.window_s - now))
                what = f"from address {key}" if kind == "address" else f"for user {key!r}"
                raise RateLimitedError(
                    f"too many failed logins {what} ({limit} in {self.limits.window_s:g} s); "
                    f"try again in {wait} s",
                    retry_after=wait,
                )

    def record(self, address: str, user: str, now: float | None = None) -> None:
        """Count one failed login of ``user`` from ``address``."""
        now = time.monotonic() if now is None else now
        for kind, key, limit in self._keys(address, user):
            times = self._recent((kind, key), now)
            if not times:
                times = self._times[(kind, key)] = deque(maxlen=limit)
            times.append(now)
            self._times.move_to_end((kind, key))
        while len(self._times) > MAX_COUNTERS:
            self._times.popitem(last=False)

    def _keys(self, address: str, user: str) -> tuple[tuple[str, str, int], ...]:
        # No stored name is longer than MAX_NAME: a longer one needs no counter of its own.
        limits = self.limits
        return (
            ("address", address, limits.per_address),
            ("user", user[:MAX_NAME], limits.per_user),
        )

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        """The failures of ``key`` still in the window (forgotten once none are)."""
        times = self._times.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.limits.window_s:
            times.popleft()
        if not times:
            del self._times[key]
        return times


class PasswordChecks:
    """Verifies HTTP basic passwords: from the cache if they passed before, else after the
    failed-login limits, a few at a time, in threads of their own at a lower CPU priority
    (Linux), so that a flood of guesses slows other requests as little as it can. Keep one
    per process, made in its event loop; :meth:`close` it at the end."""

    def __init__(self, limits: LoginLimits, at_once: int = CHECKS_AT_ONCE) -> None:
        self.failures = FailedLogins(limits)
        self._turns = anyio.Semaphore(at_once)
        self._threads = ThreadPoolExecutor(
            at_once, thread_name_prefix="password-check", initializer=_lower_priority
        )
        self._pending = 0  # checks running or waiting for a turn
        self._most = at_once + MAX_WAITING

    def close(self) -> None:
        """Stop the check threads (once the checks running now end)."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def verify(self, auth: AuthStore, name: str, password: str, address: str) -> User:
        """The user these credentials name; :class:`AuthenticationError` if wrong,
        :class:`RateLimitedError` if ``address`` or ``name`` failed too often lately."""
        user = await run_in_threadpool(auth.cached_password, name, password)
        if user is not None:
            return user
        self.failures.check(address, name)
        if self._pending >= self._most:
            raise RateLimitedError("too many password checks waiting; try again in 1 s")
        self._pending += 1
        try:
            async with self._turns:  # waiting here holds no worker thread
                self.failures.check(address, name)  # failures recorded while it waited
                check = self._threads.submit(auth.verify_password, name, password)
                try:
                    return await asyncio.wrap_future(check)
                except AuthenticationError:
                    self.failures.record(address, name)
                    raise
        finally:
            self._pending -= 1


def _lower_priority() -> None:
    """Lower this thread's CPU priority (argon2's own threads inherit it). Linux applies a
    nice value to one thread; elsewhere it would apply to the process, so it is left alone."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECK_NICENESS)
