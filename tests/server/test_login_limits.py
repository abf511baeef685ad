"""The failed-login counters on their own, with the clock given explicitly."""

from __future__ import annotations

import pytest

from tracklog.errors import RateLimitedError
from tracklog.server.login_limits import FailedLogins, LoginLimits


def test_a_user_is_refused_after_the_limit_until_the_oldest_failure_leaves_the_window() -> None:
    failures = FailedLogins(LoginLimits(per_user=3, per_address=100, window_s=60))
    for t in (0.0, 10.0, 20.0):
        failures.check("10.0.0.1", "alice", now=t)
        failures.record("10.0.0.1", "alice", now=t)
    with pytest.raises(RateLimitedError, match="for user 'alice'") as refused:
        failures.check("10.0.0.2", "alice", now=30.0)  # from anywhere
    assert refused.value.retry_after == 30  # the failure at 0 leaves at 60
    failures.check("10.0.0.1", "bob", now=30.0)  # other names are not held up
    failures.check("10.0.0.1", "alice", now=60.0)  # the limit resets
    failures.record("10.0.0.1", "alice", now=61.0)
    with pytest.raises(RateLimitedError) as again:
        failures.check("10.0.0.1", "alice", now=62.0)
    assert again.value.retry_after == 8  # now the failure at 10 is the oldest of the last 3


def test_an_address_is_refused_after_its_limit_whatever_the_names() -> None:
    failures = FailedLogins(LoginLimits(per_user=100, per_address=4, window_s=10))
    for i in range(4):
        failures.record("10.0.0.1", f"user{i}", now=float(i))
    with pytest.raises(RateLimitedError, match=r"from address 10\.0\.0\.1") as refused:
        failures.check("10.0.0.1", "someone else", now=4.5)
    assert refused.value.retry_after == 6  # ceil(0 + 10 - 4.5)
    failures.check("10.0.0.2", "someone else", now=4.5)
    failures.check("10.0.0.1", "someone else", now=10.0)
