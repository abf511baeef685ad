"""``TRACKLOG_REPRODUCE_FROM``: ``init()`` starting a run as a reproduction of a stored one."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidValueError, NotFoundError

RECORDED = {"lr": 0.3, "opt": {"name": "adam", "beta": 0.9}, "steps": 4}


@pytest.fixture
def source(local_store: str) -> str:
    with tracklog.init(project="vision", config=RECORDED) as run:
        run.config.update({"derived": 12})  # set while running: part of the recorded config
    return run.id


def test_recorded_config_wins_key_by_key_and_the_run_is_tagged(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_REPRODUCE_FROM", source)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing the script passes is reported as a change
        run = tracklog.init(config={"lr": 0.1, "opt": {"name": "sgd", "nesterov": True}})
    assert run.config["lr"] == 0.3 and run.config["opt"] == {
        "name": "adam",
        "beta": 0.9,
        "nesterov": True,  # only in the script's config: kept
    }
    run.finish()
    stored = tracklog.Api().run(run.id)
    assert stored.project == "vision"  # no project given: the recorded run's
    assert stored.tags == {"reproduced_from": source}
    assert stored.config == {**RECORDED, "derived": 12, "opt": run.config["opt"]}


def test_a_named_project_wins_over_the_recorded_one(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_REPRODUCE_FROM", source)
    with tracklog.init(project="mine") as run:
        pass
    monkeypatch.setenv("TRACKLOG_PROJECT", "from-env")
    with tracklog.init() as other:
        pass
    api = tracklog.Api()
    assert api.run(run.id).project == "mine" and api.run(other.id).project == "from-env"
    assert api.run(other.id).tags == {"reproduced_from": source}


def test_bad_values_fail_before_a_run_starts(
    source: str, local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_REPRODUCE_FROM", "no such run")
    with pytest.raises(InvalidValueError, match="TRACKLOG_REPRODUCE_FROM='no such run'"):
        tracklog.init()
    monkeypatch.setenv("TRACKLOG_REPRODUCE_FROM", "abcdef123456")
    with pytest.raises(NotFoundError, match="TRACKLOG_REPRODUCE_FROM=abcdef123456: the store"):
        tracklog.init()
    monkeypatch.setenv("TRACKLOG_REPRODUCE_FROM", source)
    with pytest.raises(InvalidValueError, match="offline mode cannot read run"):
        tracklog.init(mode="offline")
    assert not (Path(local_store) / "offline").exists()
    assert [r.id for r in tracklog.Api().runs()] == [source]


def test_disabled_mode_and_an_empty_variable_ignore_it(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_REPRODUCE_FROM", source)
    with tracklog.init(mode="disabled", config={"lr": 1.0}) as off:
        assert off.config["lr"] == 1.0
    monkeypatch.setenv("TRACKLOG_REPRODUCE_FROM", " ")
    with tracklog.init(config={"lr": 1.0}) as plain:
        pass
    stored = tracklog.Api().run(plain.id)
    assert stored.tags == {} and stored.config == {"lr": 1.0} and stored.project == "default"
