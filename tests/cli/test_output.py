"""Formatting helpers of the CLI."""

from __future__ import annotations

import pytest

from tracklog.cli import output
from tracklog.errors import FilterSyntaxError


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "-"),
        (850, "850ms"),
        (4_200, "4.2s"),
        (42_000, "42s"),
        (83_000, "1m 23s"),
        (2 * 3600_000 + 5 * 60_000, "2h 5m"),
        (3 * 86400_000 + 4 * 3600_000, "3d 4h"),
    ],
)
def test_fmt_duration(ms: int | None, text: str) -> None:
    assert output.fmt_duration(ms) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "-"), (True, "true"), (0.1 + 0.2, "0.3"), (1e-5, "1e-05"), ([1, "a"], '[1, "a"]')],
)
def test_fmt_value(value: object, text: str) -> None:
    assert output.fmt_value(value) == text


def test_filter_error_line_keeps_message_and_position() -> None:
    exc = FilterSyntaxError("unexpected 'x'", "metrics.a > x", 12)
    assert output.error_line(exc) == "unexpected 'x' (at character 13 of 'metrics.a > x')"
