"""``tracklog runs show``: everything about one run."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import click
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from tracklog.cli import output
from tracklog.cli.state import CliState, pass_state
from tracklog.sdk.run_ref import resolve_run
from tracklog.store.records import Alert, FileInfo, RunRecord, SeriesStats


@click.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run as one JSON object.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Also show how long capture took and its settings."
)
@pass_state
def show(state: CliState, run_id: str, as_json: bool, verbose: bool) -> None:
    """Show a run: attributes, config, captured context, summary, metric series, files and
    alerts.

    RUN_ID is the full id or a unique prefix of at least 4 characters.
    """
    store = state.store
    run = resolve_run(store, run_id)
    history = store.config_history(run.id)
    stats = store.series_stats(run.id)
    files = store.list_files(run.id)
    alerts = store.alerts(run.id)
    if as_json:
        record = dataclasses.asdict(run) | {"duration_ms": run.duration_ms}
        parts = {"config_history": history, "series": stats, "files": files, "alerts": alerts}
        output.echo_json(record | parts)
        return
    _print_attributes(run)
    _print_config(run.config, history)
    _print_metadata(run.metadata if verbose else _without_capture_details(run.metadata))
    _print_summary(run.summary)
    _print_series(stats)
    _print_files(files)
    _print_alerts(alerts)


def _print_attributes(run: RunRecord) -> None:
    out = output.console()
    out.print(Text.assemble(("run ", "bold"), (run.name, "bold"), f"  {run.id}"))
    rows: list[tuple[str, Any]] = [
        ("project", run.project),
        ("status", output.fmt_status(run.status, run.lifecycle_stage)),
        ("start", output.fmt_time(run.start_time)),
        ("end", output.fmt_time(run.end_time)),
        ("duration", output.run_duration(run.start_time, run.end_time)),
        ("user", run.user),
        ("host", run.host),
        ("group", run.group),
        ("job type", run.job_type),
        ("exit code", run.exit_code),
        ("labels", ", ".join(run.labels) or None),
        *((f"tag {k}", v) for k, v in sorted(run.tags.items())),
        ("notes", run.notes),
    ]
    grid = Table.grid(padding=(0, 2))
    for name, value in rows:
        if value is not None:
            grid.add_row(Text(name, style="bold"), *output.cells(value))
    out.print(grid)
    if run.error:
        output.section("error", Text(run.error, style="red"))


def _print_config(config: Mapping[str, Any], history: list[dict[str, Any]]) -> None:
    if config:
        tree = Tree("config", hide_root=True)
        _add_branches(tree, config)
        output.section("config", tree)
    if history:
        t = output.table("key", "old", "new", "changed at")
        for change in history:
            t.add_row(
                *output.cells(
                    change["key"],
                    change["old"],
                    change["new"],
                    output.fmt_time(change["changed_at"]),
                )
            )
        output.section("config history", t)


def _print_metadata(metadata: Mapping[str, Any]) -> None:
    """What the run captured about itself at init (environment, git, packages, ...)."""
    if metadata:
        tree = Tree("captured", hide_root=True)
        _add_branches(tree, metadata)
        output.section("captured", tree)


def _without_capture_details(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata a reader asked about: capture's timings and settings left out (its notes,
    what it could not record, stay)."""
    shown = dict(metadata)
    capture = shown.pop("capture", None)
    if isinstance(capture, Mapping) and capture.get("notes"):
        shown["capture"] = {"notes": capture["notes"]}
    return shown


def _add_branches(tree: Tree, config: Mapping[str, Any]) -> None:
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            _add_branches(tree.add(Text(str(key), style="bold")), value)
        else:
            tree.add(Text.assemble((f"{key}: ", "bold"), output.fmt_value(value)))


def _print_summary(summary: Mapping[str, Any]) -> None:
    if not summary:
        return
    t = output.table("key", "value")
    for key, value in summary.items():
        t.add_row(*output.cells(key, value))
    output.section("summary", t)


def _print_series(stats: list[SeriesStats]) -> None:
    if not stats:
        return
    t = output.table("key", "context", "count", "min", "max", "last", "last step")
    for s in sorted(stats, key=lambda s: (s.key, s.context)):
        t.add_row(*output.cells(s.key, s.context, s.count, s.min, s.max, s.last, s.last_step))
    output.section("metrics", t)


def _print_files(files: list[FileInfo]) -> None:
    if not files:
        return
    t = output.table("path", "size")
    for f in files:
        t.add_row(*output.cells(f.path, output.fmt_bytes(f.size)))
    output.section("files", t)


def _print_alerts(alerts: list[Alert]) -> None:
    if not alerts:
        return
    t = output.table("time", "level", "title", "text")
    for a in alerts:
        t.add_row(*output.cells(output.fmt_time(a.time_ms), a.level, a.title, a.text))
    output.section("alerts", t)
