"""``tracklog runs show``: by full id or unique prefix, and clear errors otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Invoke, MakeRun

import tracklog


def test_show_by_full_id_lists_everything(invoke: Invoke, tmp_path: Path) -> None:
    with tracklog.init(
        project="proj",
        name="bert-base",
        config={"optimizer": {"name": "adam", "lr": 0.001}, "epochs": 3},
        tags=["baseline"],
        notes="first try",
        group="sweep-1",
        dir=tmp_path,
    ) as run:
        for step in range(4):
            run.log({"loss": 1.0 / (step + 1)})
        run.track(0.5, name="acc", context={"subset": "val"})
        run.set_tag("git", "abc123")
        run.config.update({"epochs": 5}, allow_val_change=True)
        run.alert("loss is NaN", "at step 3", level="WARN")
        (tmp_path / "model.txt").write_text("weights")
        run.log_artifact(tmp_path / "model.txt")
    result = invoke("runs", "show", run.id)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        run.id, "bert-base", "FINISHED", "first try", "sweep-1", "baseline", "abc123",
        "optimizer", "name: adam", "lr: 0.001",  # the config tree
        "config history", "epochs",  # 3 -> 5
        "summary", "metrics", '{"subset":"val"}', "model.txt",
        "alerts", "loss is NaN", "WARN", "at step 3",
    ):  # fmt: skip
        assert expected in out, expected
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()]
    # The metric series table: key, context, count, min, max, last, last step.
    assert ["loss", "", "4", "0.25", "1", "0.25", "3"] in rows
    assert ["acc", '{"subset":"val"}', "1", "0.5", "0.5", "0.5", "0"] in rows


def test_show_by_prefix_and_json(invoke: Invoke, make_run: MakeRun) -> None:
    run_id = make_run(name="alpha", config={"lr": 0.1}, metrics={"acc": [0.5, 0.7]})
    result = invoke("runs", "show", run_id[:6], "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == run_id and data["name"] == "alpha"
    assert data["summary"] == {"acc": 0.7}
    assert data["series"][0]["key"] == "acc" and data["series"][0]["count"] == 2
    assert data["files"] == [] and data["config_history"] == [] and data["alerts"] == []


def test_unknown_short_and_ambiguous_ids(invoke: Invoke, make_run: MakeRun) -> None:
    make_run(name="one", run_id="abcd1111")
    make_run(name="two", run_id="abcd2222")
    result = invoke("runs", "show", "ffff0000")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no run with id or id prefix 'ffff0000'"
    result = invoke("runs", "show", "abc")
    assert result.exit_code == 1 and "at least 4 characters" in result.stderr
    result = invoke("runs", "show", "abcd")
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert "\n" not in line and "ambiguous" in line
    assert "abcd1111 (one)" in line and "abcd2222 (two)" in line
    assert invoke("runs", "show", "abcd2").exit_code == 0


def test_prefix_with_underscore_is_literal(invoke: Invoke, make_run: MakeRun) -> None:
    make_run(name="one", run_id="ab_d1111")
    make_run(name="two", run_id="abxd2222")
    result = invoke("runs", "show", "ab_d", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "one"


def test_show_prints_the_captured_context(invoke: Invoke, make_run: MakeRun, cli_uri: str) -> None:
    from tracklog.store.tracking import Store

    run_id = make_run(name="captured")
    Store(cli_uri).update_run(
        run_id, metadata={"git": {"commit": "0123abcd", "dirty": True}, "host": "gpu-7"}
    )
    result = invoke("runs", "show", run_id)
    assert result.exit_code == 0, result.output
    assert "captured" in result.output
    assert "commit: 0123abcd" in result.output and "host: gpu-7" in result.output
    shown = json.loads(invoke("runs", "show", run_id, "--json").output)
    assert shown["metadata"]["git"]["dirty"] is True


def test_capture_timings_and_settings_only_with_verbose(
    invoke: Invoke, make_run: MakeRun, cli_uri: str
) -> None:
    from tracklog.store.tracking import Store

    run_id = make_run(name="quiet")
    capture = {
        "notes": ["git: not in a git work tree"],
        "ms": {"total": 12.5},
        "settings": {"git": True},
    }
    Store(cli_uri).update_run(run_id, metadata={"capture": capture, "host": "gpu-7"})
    plain = invoke("runs", "show", run_id)
    assert plain.exit_code == 0, plain.output
    assert "host: gpu-7" in plain.output
    assert "total" not in plain.output and "settings" not in plain.output
    assert "not in a git work tree" in plain.output  # what capture could not record is news
    verbose = invoke("runs", "show", run_id, "--verbose")
    assert "total: 12.5" in verbose.output and "settings" in verbose.output
    assert json.loads(invoke("runs", "show", run_id, "--json").output)["metadata"]["capture"]
