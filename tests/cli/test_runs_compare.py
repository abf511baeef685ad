"""``tracklog runs compare``: differing config keys side by side, equal ones on request."""

from __future__ import annotations

from cli_helpers import Invoke, MakeRun

import tracklog


def _row(output: str, key: str) -> list[str]:
    line = next(line for line in output.splitlines() if f" {key} " in line)
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_compare_shows_differing_keys_only(invoke: Invoke, make_run: MakeRun) -> None:
    a = make_run(
        name="a", config={"lr": 0.1, "seed": 1, "opt": {"name": "sgd"}}, metrics={"acc": [0.8]}
    )
    config_b = {"lr": 0.01, "seed": 1, "opt": {"name": "sgd"}, "extra": True}
    b = make_run(name="b", config=config_b, metrics={"acc": [0.9]})
    result = invoke("runs", "compare", a, b[:6])
    assert result.exit_code == 0, result.output
    assert _row(result.stdout, "params.lr") == ["*", "params.lr", "0.1", "0.01"]
    assert _row(result.stdout, "params.extra") == ["*", "params.extra", "-", "true"]
    assert _row(result.stdout, "metrics.acc") == ["*", "metrics.acc", "0.8", "0.9"]
    assert "params.seed" not in result.stdout and "params.opt.name" not in result.stdout
    assert "2 equal config keys hidden" in result.stderr


def test_compare_all_shows_equal_keys_unmarked(invoke: Invoke, make_run: MakeRun) -> None:
    a = make_run(name="a", config={"lr": 0.1, "seed": 1})
    b = make_run(name="b", config={"lr": 0.01, "seed": 1})
    result = invoke("runs", "compare", a, b, "--all")
    assert result.exit_code == 0, result.output
    assert _row(result.stdout, "params.seed") == ["", "params.seed", "1", "1"]
    assert _row(result.stdout, "params.lr")[0] == "*"


def test_compare_needs_two_runs(invoke: Invoke, make_run: MakeRun) -> None:
    a = make_run(name="a")
    result = invoke("runs", "compare", a)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: compare needs at least two runs")


def test_compare_shows_each_context_summary(invoke: Invoke, cli_uri: str) -> None:
    ids = []
    for val in (0.7, 0.9):
        with tracklog.init(project="proj") as run:
            run.track(val, name="acc", context={"subset": "val"})
            run.track(0.5, name="acc", context={"subset": "train"})
        ids.append(run.id)
    result = invoke("runs", "compare", *ids)
    assert result.exit_code == 0, result.output
    assert _row(result.stdout, "metrics.acc[subset=val]") == [
        "*",
        "metrics.acc[subset=val]",
        "0.7",
        "0.9",
    ]
    assert _row(result.stdout, "metrics.acc[subset=train]")[2:] == ["0.5", "0.5"]
