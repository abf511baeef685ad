"""The records of sweeps and their trials, as the store takes and returns them; no SQLAlchemy,
so the agent and the client use them too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol, TypeVar

from tracklog.store.interface import TrackingStore

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
R = TypeVar("R")


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


class SweepState(Protocol):
    """The sweep methods of a store, local (``store.sweeps.SweepStore``) or a server's
    (``client.sweeps.RemoteSweeps``): what ``tracklog.sweep`` and the agent call."""

    @property
    def store(self) -> TrackingStore:
        """The store the sweep's runs are in."""
        ...

    def create_sweep(
        self, project: str, config: Mapping[str, Any], name: str | None = None
    ) -> SweepRecord: ...

    def sweep(self, sweep_id: str) -> SweepRecord: ...

    def trials(self, sweep_id: str) -> list[TrialRecord]: ...

    def claim_trial(
        self,
        sweep_id: str,
        number: int,
        params: Mapping[str, Any],
        run_id: str,
        owner: Mapping[str, Any],
    ) -> Claim: ...

    def heartbeat(self, sweep_id: str, number: int, run_id: str) -> str | None: ...

    def request_stop(self, sweep_id: str, number: int, reason: str) -> None: ...

    def end_trial(
        self,
        sweep_id: str,
        number: int,
        run_id: str,
        status: str,
        metric: float | None = None,
        error: str | None = None,
    ) -> bool: ...

    def control(self, sweep_id: str, action: str) -> SweepRecord: ...


def record(cls: type[R], values: Mapping[str, Any], **decoded: Any) -> R:
    """A record of ``cls`` from the values of its field names (database columns, JSON), those
    in ``decoded`` replaced."""
    names = (f.name for f in fields(cls))  # type: ignore[arg-type]
    return cls(**{name: decoded[name] if name in decoded else values[name] for name in names})
