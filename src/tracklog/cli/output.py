"""Shared output helpers of the CLI: the console, tables, JSON, times, durations, errors."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from datetime import datetime
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from tracklog.errors import FilterSyntaxError

#: Printed where a run has no value for a key.
MISSING = "-"
STATUS_STYLES = {"FINISHED": "green", "RUNNING": "cyan", "FAILED": "red", "KILLED": "magenta"}
# Piped output is not wrapped at 80 columns: a long table row stays one greppable line.
_PIPE_WIDTH = 1000


def console() -> Console:
    """A console on the current stdout (looked up per call, so CliRunner's capture works)."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=_PIPE_WIDTH)
    return out


def table(*headers: str) -> Table:
    """A table in the CLI's common style with these column headers (literal text: the ``[``
    of ``metrics.acc[subset=val]`` is not markup)."""
    t = Table(header_style="bold")
    for header in headers:
        t.add_column(Text(header), overflow="fold")
    return t


def section(title: str, body: RenderableType) -> None:
    """Print a titled section: a blank line, the title in bold, then ``body``."""
    out = console()
    out.print()
    out.print(Text(title, style="bold"))
    out.print(body)


def echo_json(value: Any) -> None:
    """Print ``value`` as one line of JSON (dataclasses become objects)."""
    click.echo(json.dumps(value, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def fmt_time(ms: int | None) -> str:
    """Epoch milliseconds as local time, ``2024-05-01 13:45:12``."""
    if ms is None:
        return MISSING
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(ms: int | None) -> str:
    """A duration in milliseconds as ``850ms``, ``4.2s``, ``1m 23s``, ``2h 5m`` or ``3d 4h``."""
    if ms is None:
        return MISSING
    if ms < 1000:
        return f"{ms}ms"
    if ms < 10_000:
        return f"{ms / 1000:.1f}s"
    s = ms // 1000
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60)):
        if s >= size:
            return f"{s // size}{unit} {s % size // sub_size}{sub}"
    return f"{s // 60}m {s % 60}s" if s >= 60 else f"{s}s"


def run_duration(start_ms: int, end_ms: int | None) -> str:
    """How long a run took, or has been running so far."""
    end = end_ms if end_ms is not None else time.time_ns() // 1_000_000
    return fmt_duration(max(0, end - start_ms))


def fmt_value(value: Any) -> str:
    """A config, summary or tag value for a table cell: short floats, JSON for containers."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value) if math.isnan(value) or math.isinf(value) else f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def fmt_bytes(size: int) -> str:
    """A size in bytes as ``812 B``, ``1.5 KiB``, ``3.2 MiB``..."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def fmt_status(status: str, lifecycle: str = "active") -> Text:
    """A run status, coloured, with ``(deleted)`` for runs in the trash."""
    text = Text(status, style=STATUS_STYLES.get(status, ""))
    if lifecycle == "deleted":
        text.append(" (deleted)", style="dim")
    return text


def cells(*values: Any) -> list[Text]:
    """Table cells holding ``values`` as literal text: a ``[`` in a run name is not markup."""
    return [v if isinstance(v, Text) else Text(fmt_value(v)) for v in values]


def error_line(exc: BaseException) -> str:
    """One line describing ``exc`` for stderr (no traceback, no multi-line caret pictures)."""
    if isinstance(exc, FilterSyntaxError):
        first = str(exc).splitlines()[0]
        return f"{first} (at character {exc.position + 1} of {exc.text!r})"
    if isinstance(exc, click.ClickException):
        text = exc.format_message()
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def print_error(message: str) -> None:
    """Print ``error: message`` to stderr."""
    click.echo(f"error: {message}", err=True)
