"""``tracklog.sweep`` and ``tracklog.agent`` in function mode, against a local store on SQLite
and PostgreSQL: init() inside the function gets the trial's config and its run is the trial's."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.sdk import current, stores
from tracklog.store.sweeps import SweepStore
from tracklog.store.tracking import Store

GRID = {
    "method": "grid",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "lr": {"values": [0.1, 0.2, 0.3]},
        "opt": {"parameters": {"momentum": {"value": 0.9}}},
    },
}


@pytest.fixture
def sweep_uri(store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TRACKLOG_URI", store_uri)
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setattr(stores, "_tracking_uri", None)
    monkeypatch.delenv("TRACKLOG_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    yield store_uri
    for run in list(current.runs):
        run.finish()


def _train() -> None:
    run = tracklog.init(config={"lr": 99.0, "epochs": 2})
    for step in range(run.config["epochs"]):
        run.log({"loss": run.config["lr"] * 10 + step})
    run.finish()


def test_function_mode_runs_each_grid_point_as_a_linked_run(sweep_uri: str) -> None:
    sweep_id = tracklog.sweep(GRID, project="tuning")
    tracklog.agent(sweep_id, function=_train, count=2)
    tracklog.agent(sweep_id, function=_train)  # the rest
    store = Store(sweep_uri)
    try:
        sweeps = SweepStore(store)
        trials = sweeps.trials(sweep_id)
        assert [t.status for t in trials] == ["FINISHED"] * 3
        assert sweeps.sweep(sweep_id).status == "FINISHED"
        for trial, lr in zip(trials, (0.1, 0.2, 0.3), strict=True):
            assert trial.run_id is not None
            run = store.get_run(trial.run_id)
            assert run.project == "tuning"
            assert run.config["lr"] == lr and run.config["epochs"] == 2
            assert run.config["opt"] == {"momentum": 0.9}
            assert run.tags["sweep_id"] == sweep_id
            assert trial.metric == pytest.approx(lr * 10 + 1)  # the summary: the last value
    finally:
        store.close()


def test_a_failing_function_fails_its_trial_not_the_agent(sweep_uri: str) -> None:
    calls = []

    def train() -> None:
        calls.append(1)
        run = tracklog.init()
        if run.config["lr"] == 0.2:
            raise RuntimeError("diverged")
        run.log({"loss": 1.0})

    sweep_id = tracklog.sweep(GRID)
    tracklog.agent(sweep_id, function=train)
    store = Store(sweep_uri)
    try:
        trials = SweepStore(store).trials(sweep_id)
        assert [t.status for t in trials] == ["FINISHED", "FAILED", "FINISHED"]
        assert "RuntimeError: diverged" in (trials[1].error or "")
        assert trials[1].run_id is not None
        assert store.get_run(trials[1].run_id).status == "FAILED"
    finally:
        store.close()
    assert len(calls) == 3 and not current.runs


def test_a_metric_never_logged_is_warned_about(sweep_uri: str) -> None:
    def train() -> None:
        tracklog.init().log({"accuracy": 0.5})

    sweep_id = tracklog.sweep({**GRID, "run_cap": 1})
    with pytest.warns(UserWarning, match="never logged the sweep's metric 'loss'"):
        tracklog.agent(sweep_id, function=train)


def test_bayes_sweep_learns_from_its_trials(sweep_uri: str) -> None:
    config = {
        "method": "bayes",
        "metric": {"name": "loss", "goal": "minimize"},
        "run_cap": 12,
        "parameters": {
            "x": {"min": -4.0, "max": 4.0},
            "kind": {"values": ["a", "b"]},
            "n": {"distribution": "q_log_uniform_values", "min": 1, "max": 64, "q": 1},
        },
    }

    def train() -> None:
        run = tracklog.init()
        c = run.config
        run.log({"loss": c["x"] ** 2 + (c["kind"] == "b") + c["n"] / 64})

    sweep_id = tracklog.sweep(config)
    tracklog.agent(sweep_id, function=train)
    store = Store(sweep_uri)
    try:
        trials = SweepStore(store).trials(sweep_id)
    finally:
        store.close()
    assert len(trials) == 12 and {t.status for t in trials} == {"FINISHED"}
    assert all(t.metric is not None for t in trials)
    assert len({t.params["x"] for t in trials}) == 12


def test_bad_agent_arguments(sweep_uri: str) -> None:
    sweep_id = tracklog.sweep(GRID, project="p")
    with pytest.raises(InvalidValueError, match="count"):
        tracklog.agent(sweep_id, function=_train, count=0)
    with pytest.raises(InvalidValueError, match="callable"):
        tracklog.agent(sweep_id, function="train")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no sweep"):
        tracklog.agent("missing", function=_train)
    with pytest.raises(NotFoundError, match="in project 'q'"):
        tracklog.agent(sweep_id, function=_train, project="q")
    with pytest.raises(InvalidValueError, match=r"parameters\.lr\.q"):
        tracklog.sweep(
            {
                "method": "random",
                "parameters": {"lr": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0}},
            }
        )


def test_a_garbled_trial_handoff_is_a_clear_init_error(
    sweep_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_SWEEP_TRIAL", "{not json")
    with pytest.raises(InvalidValueError, match=r"\$TRACKLOG_SWEEP_TRIAL is not a sweep trial"):
        tracklog.init()
    assert not current.runs


def test_bad_project_or_sweep_name_is_refused(sweep_uri: str) -> None:
    with pytest.raises(InvalidValueError, match="project name"):
        tracklog.sweep(GRID, project="\x00")
    with pytest.raises(InvalidValueError, match="sweep name"):
        tracklog.sweep(GRID, name="x" * 300)
