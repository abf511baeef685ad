"""``tracklog runs ls``: filter, sort, columns, JSON, and one-line errors."""

from __future__ import annotations

import json

from cli_helpers import Invoke, MakeRun, rows_with

import tracklog


def _three_runs(make_run: MakeRun) -> dict[str, str]:
    return {
        name: make_run(name=name, config={"lr": lr, "opt": opt}, metrics={"acc": [0.1, acc]})
        for name, lr, opt, acc in (
            ("alpha", 0.1, "sgd", 0.70),
            ("beta", 0.01, "adam", 0.95),
            ("gamma", 0.001, "adam", 0.90),
        )
    }


def test_filter_and_sort_order_rows(invoke: Invoke, make_run: MakeRun) -> None:
    _three_runs(make_run)
    result = invoke("runs", "ls", "--filter", "metrics.acc > 0.8", "--sort", "metrics.acc ASC")
    assert result.exit_code == 0, result.output
    assert rows_with(result.stdout, "alpha", "beta", "gamma") == ["gamma", "beta"]
    # The filter's and the sort's key get a column of their own.
    header = result.stdout.splitlines()[1]
    assert "metrics.acc" in header
    assert "0.95" in result.stdout

    result = invoke("runs", "ls", "--sort", "params.lr DESC", "--columns", "params.opt")
    assert rows_with(result.stdout, "alpha", "beta", "gamma") == ["alpha", "beta", "gamma"]
    assert "params.opt" in result.stdout and "params.lr" in result.stdout


def test_param_filter_limit_and_project(invoke: Invoke, make_run: MakeRun) -> None:
    _three_runs(make_run)
    make_run(project="other", name="delta", config={"opt": "adam"})
    result = invoke("runs", "ls", "-p", "proj", "--filter", "params.opt = 'adam'")
    assert rows_with(result.stdout, "alpha", "beta", "gamma", "delta") == ["gamma", "beta"]
    result = invoke("runs", "ls", "--sort", "metrics.acc DESC", "--limit", "1")
    assert rows_with(result.stdout, "alpha", "beta", "gamma", "delta") == ["beta"]


def test_json_lines_are_full_records(invoke: Invoke, make_run: MakeRun) -> None:
    ids = _three_runs(make_run)
    result = invoke("runs", "ls", "--json", "--sort", "attributes.run_name")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["name"] for r in records] == ["alpha", "beta", "gamma"]
    assert records[0]["id"] == ids["alpha"]
    assert records[1]["config"] == {"lr": 0.01, "opt": "adam"}
    assert records[1]["summary"] == {"acc": 0.95}


def test_bad_filter_is_one_line_naming_the_token(invoke: Invoke, make_run: MakeRun) -> None:
    make_run(name="alpha")
    result = invoke("runs", "ls", "--filter", "metrics.acc > 0.5 and bogus = 1")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "'bogus'" in lines[0]
    assert "Traceback" not in result.output


def test_bad_sort_and_unknown_project_fail_cleanly(invoke: Invoke, make_run: MakeRun) -> None:
    make_run(name="alpha")
    result = invoke("runs", "ls", "--sort", "metrics.acc SIDEWAYS")
    assert result.exit_code == 1
    assert "SIDEWAYS" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = invoke("runs", "ls", "--project", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no project named 'nope'"


def test_usage_error_exits_2_with_one_line(invoke: Invoke) -> None:
    result = invoke("runs", "ls", "--limit", "0")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--limit" in lines[0]


def test_empty_store_says_so(invoke: Invoke) -> None:
    result = invoke("runs", "ls")
    assert result.exit_code == 0
    assert "no runs" in result.stderr


def test_a_command_records_a_killed_run_as_crashed(invoke: Invoke, cli_uri: str) -> None:
    """``Api`` only shows a crash; a command may write, so it records it and its filters see
    the run as FAILED."""
    import subprocess
    import sys

    script = (
        "import os, signal, tracklog; run = tracklog.init(project='proj', name='victim'); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    assert subprocess.run([sys.executable, "-c", script], timeout=120).returncode == -9
    result = invoke("runs", "ls", "--filter", "attributes.status = 'FAILED'")
    assert result.exit_code == 0, result.output
    assert rows_with(result.stdout, "victim") == ["victim"]


def test_context_summaries_filter_sort_and_columns(invoke: Invoke, cli_uri: str) -> None:
    for name, val in (("alpha", 0.7), ("beta", 0.95), ("gamma", 0.9)):
        with tracklog.init(project="proj", name=name) as run:
            run.track(val, name="acc", context={"subset": "val", "fold": 1})
            run.track(0.5, name="acc", context={"subset": "train", "fold": 1})
    result = invoke(
        "runs",
        "ls",
        "--filter",
        "metrics.acc[subset=val, fold=1] > 0.8",
        "--sort",
        "metrics.acc[fold=1,subset=val] DESC",
        "--columns",
        "metrics.acc[fold=1,subset=train],params.x",
    )
    assert result.exit_code == 0, result.output
    assert rows_with(result.stdout, "alpha", "beta", "gamma") == ["beta", "gamma"]
    # Each column once, as its filter names it (its brackets are not taken for markup).
    header = "".join(result.stdout.splitlines()[1].split())
    for column in ("metrics.acc[fold=1,subset=val]", "metrics.acc[fold=1,subset=train]"):
        assert header.count(column) == 1
    beta = next(line for line in result.stdout.splitlines() if " beta " in line)
    assert "0.95" in beta and "0.5" in beta
