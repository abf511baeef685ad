"""Sweep state in the store: claims, exact limits, heartbeats, lost agents, controls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store.liveness import owner_columns
from tracklog.store.sweeps import SweepStore
from tracklog.store.tracking import Store
from tracklog.sweeps.scheduler import Scheduler

CLAIMER = str(Path(__file__).with_name("claimer.py"))
GRID_100 = {
    "method": "grid",
    "parameters": {"a": {"values": list(range(10))}, "b": {"min": 0, "max": 9}},
}


def _create(sweeps: SweepStore, raw: dict) -> str:
    return sweeps.create_sweep("p", raw).id


def _owner() -> dict:
    return owner_columns(True, None, None, None)


def test_grid_is_handed_out_exactly_then_the_sweep_finishes(store: Store) -> None:
    sweeps = SweepStore(store)
    sweep_id = _create(sweeps, {**GRID_100, "run_cap": 7})
    scheduler = Scheduler(sweeps, sweep_id)
    got = []
    while (trial := scheduler.next_trial(_owner())) is not None:
        got.append((trial.params["a"], trial.params["b"]))
        assert trial.run_id is not None
        assert sweeps.end_trial(sweep_id, trial.number, trial.run_id, "FINISHED", 0.5)
    assert got == [(0, b) for b in range(7)]  # run_cap exact
    assert sweeps.sweep(sweep_id).status == "FINISHED"
    assert [t.metric for t in sweeps.trials(sweep_id)] == [0.5] * 7


def test_a_stale_proposal_is_told_the_next_free_number(store: Store) -> None:
    sweeps = SweepStore(store)
    sweep_id = _create(sweeps, GRID_100)
    assert sweeps.claim_trial(sweep_id, 0, {"a": 0}, "r0", _owner()).outcome == "claimed"
    late = sweeps.claim_trial(sweep_id, 0, {"a": 0}, "r1", _owner())
    assert (late.outcome, late.next_number) == ("retry", 1)


def test_pause_resume_stop_cancel(store: Store) -> None:
    sweeps = SweepStore(store)
    sweep_id = _create(sweeps, GRID_100)
    first = sweeps.claim_trial(sweep_id, 0, {}, "r0", _owner()).trial
    assert first is not None and first.run_id == "r0"
    assert sweeps.control(sweep_id, "pause").status == "PAUSED"
    assert sweeps.claim_trial(sweep_id, 1, {}, "r1", _owner()).outcome == "paused"
    assert sweeps.control(sweep_id, "resume").status == "RUNNING"
    assert sweeps.claim_trial(sweep_id, 1, {}, "r1", _owner()).outcome == "claimed"
    assert sweeps.heartbeat(sweep_id, 0, "r0") is None
    assert sweeps.control(sweep_id, "stop").status == "FINISHED"
    assert sweeps.claim_trial(sweep_id, 2, {}, "r2", _owner()).outcome == "done"
    assert sweeps.heartbeat(sweep_id, 0, "r0") is None  # stop lets running trials end
    assert sweeps.control(sweep_id, "cancel").status == "CANCELED"
    assert sweeps.heartbeat(sweep_id, 0, "r0") == "the sweep was canceled"
    with pytest.raises(InvalidValueError, match="cannot resume"):
        sweeps.control(sweep_id, "resume")
    with pytest.raises(InvalidValueError, match="action must be one of"):
        sweeps.control(sweep_id, "explode")
    with pytest.raises(NotFoundError):
        sweeps.control("nope", "pause")


def test_stop_request_and_a_handed_over_trial(store: Store) -> None:
    sweeps = SweepStore(store)
    sweep_id = _create(sweeps, GRID_100)
    sweeps.claim_trial(sweep_id, 0, {}, "r0", _owner())
    sweeps.request_stop(sweep_id, 0, "hyperband: behind at iteration 3")
    assert sweeps.heartbeat(sweep_id, 0, "r0") == "hyperband: behind at iteration 3"
    assert sweeps.heartbeat(sweep_id, 0, "other") == "the trial was handed to another agent"
    assert not sweeps.end_trial(sweep_id, 0, "other", "FINISHED")
    assert sweeps.end_trial(sweep_id, 0, "r0", "STOPPED")
    with pytest.raises(InvalidValueError, match="status must be one of"):
        sweeps.end_trial(sweep_id, 0, "r0", "DONE")
    with pytest.raises(NotFoundError):
        sweeps.heartbeat(sweep_id, 5, "r0")


def test_silent_agent_trial_is_reissued_then_crashed(store: Store) -> None:
    sweeps = SweepStore(store)
    sweep_id = _create(sweeps, {**GRID_100, "run_cap": 1})
    far = {"host": "elsewhere", "pid": 1, "pid_started": None}
    first = sweeps.claim_trial(sweep_id, 0, {"a": 0}, "r0", far, stale_after_ms=0).trial
    assert first is not None
    for attempt in (2, 3):
        again = sweeps.claim_trial(sweep_id, 1, {"a": 9}, f"r{attempt}", far, stale_after_ms=-1)
        assert again.trial is not None
        assert (again.trial.number, again.trial.attempts) == (0, attempt)
        assert again.trial.params == {"a": 0} and again.trial.run_id == f"r{attempt}"
    assert sweeps.claim_trial(sweep_id, 1, {}, "r4", far, stale_after_ms=-1).outcome == "done"
    (trial,) = sweeps.trials(sweep_id)
    assert trial.status == "CRASHED" and "lost 3 times" in (trial.error or "")
    assert sweeps.sweep(sweep_id).status == "FINISHED"


def _claimer(uri: str, sweep_id: str, env: dict, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, CLAIMER, uri, sweep_id, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _claimers(uri: str, sweep_id: str, n: int, env: dict) -> list[subprocess.Popen[str]]:
    return [_claimer(uri, sweep_id, env) for _ in range(n)]


def _numbers(procs: list[subprocess.Popen[str]]) -> Counter[int]:
    got: Counter[int] = Counter()
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        got.update(int(line.split()[0]) for line in out.splitlines())
    return got


@pytest.mark.slow
def test_four_processes_share_one_grid_of_100_exactly(
    store: Store, store_uri: str, child_env: dict
) -> None:
    sweeps = SweepStore(store)
    sweep_id = _create(sweeps, GRID_100)
    got = _numbers(_claimers(store_uri, sweep_id, 4, child_env))
    assert got == Counter(range(100))
    trials = sweeps.trials(sweep_id)
    assert len({(t.params["a"], t.params["b"]) for t in trials}) == 100
    assert {t.status for t in trials} == {"FINISHED"}
    assert sweeps.sweep(sweep_id).status == "FINISHED"


@pytest.mark.slow
def test_a_killed_agent_s_trial_is_handed_out_again(
    store: Store, store_uri: str, child_env: dict
) -> None:
    sweeps = SweepStore(store)
    sweep_id = _create(sweeps, GRID_100)
    holder = _claimer(store_uri, sweep_id, child_env, "hold")
    assert holder.stdout is not None
    held = int(holder.stdout.readline().split()[0])
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    got = _numbers(_claimers(store_uri, sweep_id, 3, child_env))
    assert got == Counter(range(100))  # the held trial once more, every other one once
    trials = sweeps.trials(sweep_id)
    assert {t.status for t in trials} == {"FINISHED"} and len(trials) == 100
    assert trials[held].attempts == 2


class _ResumedWhenSeenPaused(SweepStore):
    """The real store, resumed by an operator the moment an agent finds it paused."""

    seen_paused = 0

    def claim_trial(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        claim = super().claim_trial(*args, **kwargs)
        if claim.outcome == "paused":
            self.seen_paused += 1
            self.control(args[0], "resume")
        return claim


def test_an_agent_waits_while_the_sweep_is_paused(store: Store) -> None:
    sweeps = _ResumedWhenSeenPaused(store)
    sweep_id = _create(sweeps, {**GRID_100, "run_cap": 2})
    sweeps.control(sweep_id, "pause")
    scheduler = Scheduler(sweeps, sweep_id)
    trial = scheduler.next_trial(_owner(), paused_poll_s=0)
    assert trial is not None and trial.number == 0 and sweeps.seen_paused == 1
