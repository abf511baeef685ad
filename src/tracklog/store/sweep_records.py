"""The records of sweeps and their trials, as the store takes and returns them; no SQLAlchemy,
so the agent and the client use them too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A sweep's states, as W&B's: RUNNING hands out trials; PAUSED hands none out until resumed;
# FINISHED (stopped, exhausted or its metric's target reached) hands none out while running
# trials end; CANCELED also tells running trials to stop.
SWEEP_RUNNING, SWEEP_PAUSED, SWEEP_FINISHED, SWEEP_CANCELED = (
    "RUNNING",
    "PAUSED",
    "FINISHED",
    "CANCELED",
)
SWEEP_ACTIONS = {
    "pause": ({SWEEP_RUNNING, SWEEP_PAUSED}, SWEEP_PAUSED),
    "resume": ({SWEEP_PAUSED, SWEEP_RUNNING}, SWEEP_RUNNING),
    "stop": ({SWEEP_RUNNING, SWEEP_PAUSED, SWEEP_FINISHED}, SWEEP_FINISHED),
    "cancel": ({SWEEP_RUNNING, SWEEP_PAUSED, SWEEP_FINISHED, SWEEP_CANCELED}, SWEEP_CANCELED),
}
# A trial's states: RUNNING while an agent holds it; how it ended otherwise.
TRIAL_RUNNING = "RUNNING"
TRIAL_ENDS = ("FINISHED", "FAILED", "STOPPED", "CRASHED")


@dataclass(frozen=True)
class SweepRecord:
    id: str
    project: str
    name: str | None
    method: str
    config: dict[str, Any]
    status: str
    seed: int
    trial_limit: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class TrialRecord:
    sweep_id: str
    number: int
    params: dict[str, Any]
    status: str
    run_id: str | None
    attempts: int
    host: str | None
    pid: int | None
    heartbeat_at: int | None
    stop_reason: str | None
    metric: float | None
    error: str | None
    created_at: int
    ended_at: int | None


@dataclass(frozen=True)
class Claim:
    """What a claim got: ``trial`` when one was handed out; otherwise ``outcome`` says why not:
    "retry" (another agent took ``number`` first: propose for ``next_number``), "paused", or
    "done" (the sweep hands out no more trials)."""

    outcome: str
    trial: TrialRecord | None = None
    next_number: int = 0
