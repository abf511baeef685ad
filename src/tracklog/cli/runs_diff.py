"""``tracklog runs diff``: what differs between two runs (config, metrics, code, environment)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from tracklog.cli import output
from tracklog.cli.state import CliState, pass_state
from tracklog.errors import NotFoundError
from tracklog.sdk.run_ref import resolve_runs
from tracklog.store import params as params_view
from tracklog.store.records import RunRecord

if TYPE_CHECKING:
    from tracklog.store.interface import TrackingStore

#: Shown for a side whose run did not capture that part of its metadata.
NOT_CAPTURED = "(not captured)"
_REQUIREMENTS = "requirements.txt"
_ABSENT = object()  # a key the run does not have (None is a real value)

# (section, key shown, metadata part, path inside that part)
_METADATA_KEYS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("git", "commit", "git", ("commit",)),
    ("git", "branch", "git", ("branch",)),
    ("git", "dirty", "git", ("dirty",)),
    ("python", "version", "environment", ("python", "version")),
    ("python", "implementation", "environment", ("python", "implementation")),
    ("hardware", "cpu model", "environment", ("cpu", "model")),
    ("hardware", "cpu count", "environment", ("cpu", "count")),
    ("hardware", "memory", "environment", ("memory_total_bytes",)),
    ("hardware", "gpu count", "environment", ("gpu", "count")),
    ("hardware", "gpus", "environment", ("gpu", "names")),
    ("hardware", "gpu driver", "environment", ("gpu", "driver")),
    ("hardware", "cuda", "environment", ("cuda_version",)),
]


@dataclass
class RunDiff:
    """The differences between runs ``a`` and ``b``; each list holds ``{key, a, b}`` rows."""

    a: str
    b: str
    config: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)
    git: list[dict[str, Any]] = field(default_factory=list)
    python: list[dict[str, Any]] = field(default_factory=list)
    hardware: list[dict[str, Any]] = field(default_factory=list)
    packages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        """Whether nothing compared differs."""
        return not any(getattr(self, s) for s in _SECTIONS)


_SECTIONS = ("config", "summary", "git", "python", "hardware", "packages")


@click.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@pass_state
def diff(state: CliState, run_a: str, run_b: str, as_json: bool) -> None:
    """Show what differs between two runs: config, summary metrics, git commit, Python,
    packages (from their requirements.txt) and hardware.

    Each RUN_ID is a full id or a unique prefix of at least 4 characters.
    """
    a, b = resolve_runs(state.store, (run_a, run_b))
    result = diff_runs(state.store, a, b)
    if as_json:
        output.echo_json(
            {"a": result.a, "b": result.b, "equal": result.equal}
            | {s: getattr(result, s) for s in _SECTIONS}
        )
        return
    if result.equal:
        click.echo(f"runs {a.id} ({a.name}) and {b.id} ({b.name}) do not differ")
        return
    heads = (f"{a.name} ({a.id[:8]})", f"{b.name} ({b.id[:8]})")
    for section in _SECTIONS:
        rows = getattr(result, section)
        if not rows:
            continue
        t = output.table("package" if section == "packages" else "key", *heads)
        for row in rows:
            size = row["key"] == "memory"
            t.add_row(Text(row["key"]), _cell(row["a"], size), _cell(row["b"], size))
        output.section(section, t)


def diff_runs(store: TrackingStore, a: RunRecord, b: RunRecord) -> RunDiff:
    """Compare two runs (their files are read for the packages)."""
    result = RunDiff(a.id, b.id)
    result.config = _rows(params_view.flatten(a.config), params_view.flatten(b.config))
    result.summary = _rows(a.summary, b.summary)
    for section, key, part, path in _METADATA_KEYS:
        va, vb = _meta(a.metadata, part, path), _meta(b.metadata, part, path)
        if va != vb and {va, vb} != {NOT_CAPTURED, None}:  # None: captured, not present
            getattr(result, section).append({"key": key, "a": va, "b": vb})
    result.packages = _package_rows(_requirements(store, a), _requirements(store, b))
    return result


def _rows(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(a.keys() | b.keys()):
        va, vb = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if va != vb or type(va) is not type(vb):
            rows.append({"key": key, "a": _plain(va), "b": _plain(vb)})
    return rows


def _plain(value: Any) -> Any:
    return output.MISSING if value is _ABSENT else value


def _meta(metadata: Mapping[str, Any], part: str, path: tuple[str, ...]) -> Any:
    """The value at ``path`` of ``metadata[part]``; NOT_CAPTURED when that part is missing."""
    node: Any = metadata.get(part)
    if not isinstance(node, Mapping) or (part == "git" and not node):
        return NOT_CAPTURED
    for name in path:
        node = node.get(name) if isinstance(node, Mapping) else None
    return node


def _requirements(store: TrackingStore, run: RunRecord) -> dict[str, str] | None:
    """The run's ``requirements.txt`` as {normalised name: pin}, or None if it has none."""
    if _REQUIREMENTS not in {f.path for f in store.list_files(run.id)}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = store.download_file(run.id, _REQUIREMENTS, Path(tmp) / _REQUIREMENTS)
        except NotFoundError:  # listed, but gone from the artifact store
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    return parse_requirements(text)


def parse_requirements(text: str) -> dict[str, str]:
    """``name==version`` and ``name @ url`` lines as {normalised name: version or url}."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*(\S+)|@\s*(\S+)|(.*))$", line)
        if m is None:
            continue
        name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
        found[name] = m.group(2) or m.group(3) or (m.group(4) or "").strip()
    return found


def _package_rows(a: dict[str, str] | None, b: dict[str, str] | None) -> list[dict[str, Any]]:
    if a is None and b is None:
        return []
    if a is None or b is None:
        return [
            {
                "key": _REQUIREMENTS,
                "a": NOT_CAPTURED if a is None else f"{len(a)} packages",
                "b": NOT_CAPTURED if b is None else f"{len(b)} packages",
            }
        ]
    return _rows(a, b)


def _cell(value: Any, size: bool = False) -> Text:
    if value == NOT_CAPTURED or value == output.MISSING:
        return Text(str(value), style="dim")
    if size and isinstance(value, int) and not isinstance(value, bool):
        return Text(output.fmt_bytes(value))
    return Text(output.fmt_value(value))
