"""``tracklog runs diff``: config, summary, captured metadata and packages of two runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cli_helpers import Invoke

from tracklog.cli.runs_diff import NOT_CAPTURED, parse_requirements
from tracklog.store.tracking import Store

_ENV = {
    "python": {"version": "3.11.9", "implementation": "CPython"},
    "cpu": {"model": "Xeon", "count": 8},
    "memory_total_bytes": 64 << 30,
}


@pytest.fixture
def store(cli_uri: str) -> Iterator[Store]:
    s = Store(cli_uri)
    yield s
    s.close()


def _run(
    store: Store,
    name: str,
    config: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    requirements: str | None = None,
) -> str:
    run = store.create_run("proj", name=name, config=config)
    if summary:
        store.set_summary(run.id, summary)
    if metadata:
        store.update_run(run.id, metadata=metadata)
    if requirements is not None:
        store.write_file(run.id, "requirements.txt", [requirements.encode()])
    store.finish_run(run.id, "FINISHED")
    return run.id


def test_config_summary_and_metadata_differences(invoke: Invoke, store: Store) -> None:
    git_a = {"commit": "a" * 40, "branch": "main", "dirty": False}
    a = _run(
        store,
        "base",
        {"lr": 0.1, "opt": {"name": "adam", "beta": 0.9}, "seed": 1},
        {"acc": 0.8},
        {"git": git_a, "environment": _ENV},
    )
    env_b = {**_ENV, "python": {"version": "3.12.1", "implementation": "CPython"}}
    b = _run(
        store,
        "tuned",
        {"lr": 0.01, "opt": {"name": "adam", "beta": 0.95}, "seed": 1, "warmup": 100},
        {"acc": 0.9},
        {"git": {**git_a, "commit": "b" * 40, "dirty": True}, "environment": env_b},
    )
    result = invoke("runs", "diff", a[:6], b)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in ("lr", "opt.beta", "warmup", "acc", "commit", "dirty", "version"):
        assert any(line in row for row in out.splitlines()), line
    assert "opt.name" not in out and "seed" not in out and "cpu model" not in out
    warmup = next(row for row in out.splitlines() if "warmup" in row)
    assert " - " in warmup and "100" in warmup

    data = json.loads(invoke("runs", "diff", a, b, "--json").stdout)
    assert data["equal"] is False and (data["a"], data["b"]) == (a, b)
    assert {r["key"] for r in data["config"]} == {"lr", "opt.beta", "warmup"}
    assert data["summary"] == [{"key": "acc", "a": 0.8, "b": 0.9}]
    assert {r["key"]: (r["a"], r["b"]) for r in data["git"]} == {
        "commit": ("a" * 40, "b" * 40),
        "dirty": (False, True),
    }
    assert data["python"] == [{"key": "version", "a": "3.11.9", "b": "3.12.1"}]
    assert data["hardware"] == [] and data["packages"] == []


def test_metadata_missing_on_one_side_is_not_captured(invoke: Invoke, store: Store) -> None:
    a = _run(store, "captured", metadata={"git": {"commit": "c" * 40}, "environment": _ENV})
    b = _run(store, "bare")
    data = json.loads(invoke("runs", "diff", a, b, "--json").stdout)
    commit = next(r for r in data["git"] if r["key"] == "commit")
    assert commit == {"key": "commit", "a": "c" * 40, "b": NOT_CAPTURED}
    assert {r["key"] for r in data["hardware"]} == {"cpu model", "cpu count", "memory"}
    assert all(r["b"] == NOT_CAPTURED for r in data["hardware"])
    assert NOT_CAPTURED in invoke("runs", "diff", a, b).stdout


def test_requirements_differing_in_one_version(invoke: Invoke, store: Store) -> None:
    head = "# Python 3.11.9 (/usr/bin/python3)\n"
    common = "click==8.1.7\nnumpy==1.26.4\n"
    a = _run(store, "old", requirements=head + common + "torch==2.2.0\n")
    b = _run(store, "new", requirements=head + common + "torch==2.3.1\n")
    data = json.loads(invoke("runs", "diff", a, b, "--json").stdout)
    assert data["packages"] == [{"key": "torch", "a": "2.2.0", "b": "2.3.1"}]
    assert data["config"] == data["summary"] == []
    torch = next(row for row in invoke("runs", "diff", a, b).stdout.splitlines() if "torch" in row)
    assert "2.2.0" in torch and "2.3.1" in torch


def test_requirements_added_removed_and_missing(invoke: Invoke, store: Store) -> None:
    a = _run(store, "a", requirements="Foo_Bar==1.0\nold-pkg==2.0\n")
    b = _run(store, "b", requirements="foo-bar==1.0\nnew @ git+https://x/y@abc\n")
    c = _run(store, "c")
    rows = json.loads(invoke("runs", "diff", a, b, "--json").stdout)["packages"]
    assert rows == [
        {"key": "new", "a": "-", "b": "git+https://x/y@abc"},
        {"key": "old-pkg", "a": "2.0", "b": "-"},
    ]
    rows = json.loads(invoke("runs", "diff", a, c, "--json").stdout)["packages"]
    assert rows == [{"key": "requirements.txt", "a": "2 packages", "b": NOT_CAPTURED}]


def test_equal_runs_say_so(invoke: Invoke, store: Store) -> None:
    a = _run(store, "one", {"lr": 0.1}, {"acc": 1.0}, requirements="x==1\n")
    b = _run(store, "two", {"lr": 0.1}, {"acc": 1.0}, requirements="x==1\n")
    result = invoke("runs", "diff", a, b)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"runs {a} (one) and {b} (two) do not differ"
    assert json.loads(invoke("runs", "diff", a, b, "--json").stdout)["equal"] is True


def test_unknown_run_is_one_line_error(invoke: Invoke, store: Store) -> None:
    a = _run(store, "one")
    result = invoke("runs", "diff", a, "nosuchrun")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no run with id or id prefix 'nosuchrun'"


def test_parse_requirements_skips_comments() -> None:
    text = "# header\n\nA.B==1.0  # editable install from /src\nc @ file:///w/c\n"
    assert parse_requirements(text) == {"a-b": "1.0", "c": "file:///w/c"}
