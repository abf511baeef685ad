"""``/api/v1/sweeps``: W&B-style sweeps for agents on any machine. The server keeps no sweep
state of its own: each call is one :class:`SweepStore` call (the agent proposes a trial's
parameters, the store decides who gets the number). Creating a sweep, claiming, heartbeats,
trial ends and controls need EDIT on the sweep's project; reading it, or listing a
project's sweeps, needs READ."""

from __future__ import annotations

from typing import Any

from fastapi import status
from pydantic import BaseModel

from tracklog.errors import NotFoundError
from tracklog.server.auth import Guard, GuardDep
from tracklog.server.encoding import wire_router
from tracklog.server.state import StoreDep
from tracklog.store.sweep_records import SweepRecord
from tracklog.store.sweeps import SweepStore
from tracklog.store.tracking import Store

router = wire_router(prefix="/api/v1", tags=["sweeps"])


class SweepCreate(BaseModel):
    project: str
    config: dict[str, Any]
    name: str | None = None


class Owner(BaseModel):
    host: str | None = None
    pid: int | None = None
    pid_started: int | None = None


class TrialClaim(BaseModel):
    number: int
    params: dict[str, Any]
    run_id: str
    owner: Owner


class Heartbeat(BaseModel):
    run_id: str


class StopRequest(BaseModel):
    reason: str


class TrialEnd(BaseModel):
    run_id: str
    status: str
    metric: float | None = None
    error: str | None = None


class Control(BaseModel):
    action: str


def _sweeps(store: Store, guard: Guard, sweep_id: str, need: str) -> SweepStore:
    """The store's sweeps, after checking ``need`` on sweep ``sweep_id``'s project (404 for a
    sweep that does not exist)."""
    sweeps = SweepStore(store)
    guard.require_project(sweeps.sweep(sweep_id).project, need)
    return sweeps


@router.post("/sweeps", status_code=status.HTTP_201_CREATED)
def create_sweep(body: SweepCreate, store: StoreDep, guard: GuardDep) -> SweepRecord:
    """A new sweep of a W&B sweep config (checked: 400 naming the bad key); a new project is
    created with its creator as manager."""
    guard.claim_project(body.project)
    return SweepStore(store).create_sweep(body.project, body.config, body.name)


@router.get("/sweeps")
def list_sweeps(project: str, store: StoreDep, guard: GuardDep) -> Any:
    """The sweeps of ``project`` (READ on it), newest first."""
    if not guard.require_project(project, "READ"):
        raise NotFoundError(f"no project named {project!r}")
    return {"sweeps": SweepStore(store).project_sweeps(project)}


@router.get("/sweeps/{sweep_id}")
def get_sweep(sweep_id: str, store: StoreDep, guard: GuardDep) -> SweepRecord:
    """A sweep: its config, status, seed and trial limit."""
    return _sweeps(store, guard, sweep_id, "READ").sweep(sweep_id)


@router.get("/sweeps/{sweep_id}/trials")
def list_trials(sweep_id: str, store: StoreDep, guard: GuardDep) -> Any:
    """The sweep's trials, by number."""
    return {"trials": _sweeps(store, guard, sweep_id, "READ").trials(sweep_id)}


@router.post("/sweeps/{sweep_id}/claims")
def claim_trial(sweep_id: str, body: TrialClaim, store: StoreDep, guard: GuardDep) -> Any:
    """Claim trial ``number`` with the agent's proposed parameters (or an abandoned trial);
    ``outcome`` says why none when no trial is handed out."""
    sweeps = _sweeps(store, guard, sweep_id, "EDIT")
    claim = sweeps.claim_trial(
        sweep_id, body.number, body.params, body.run_id, body.owner.model_dump()
    )
    return {"outcome": claim.outcome, "trial": claim.trial, "next_number": claim.next_number}


@router.post("/sweeps/{sweep_id}/trials/{number}/heartbeat")
def heartbeat(sweep_id: str, number: int, body: Heartbeat, store: StoreDep, guard: GuardDep) -> Any:
    """Keep a trial claimed; ``stop`` says why its agent must stop it now (or null)."""
    sweeps = _sweeps(store, guard, sweep_id, "EDIT")
    return {"stop": sweeps.heartbeat(sweep_id, number, body.run_id)}


@router.post("/sweeps/{sweep_id}/trials/{number}/stop", status_code=status.HTTP_204_NO_CONTENT)
def request_stop(
    sweep_id: str, number: int, body: StopRequest, store: StoreDep, guard: GuardDep
) -> None:
    """Ask the agent of a running trial to stop it."""
    _sweeps(store, guard, sweep_id, "EDIT").request_stop(sweep_id, number, body.reason)


@router.post("/sweeps/{sweep_id}/trials/{number}/end")
def end_trial(sweep_id: str, number: int, body: TrialEnd, store: StoreDep, guard: GuardDep) -> Any:
    """Record how a trial ended; ``ended`` is false when the attempt no longer held it."""
    sweeps = _sweeps(store, guard, sweep_id, "EDIT")
    ended = sweeps.end_trial(sweep_id, number, body.run_id, body.status, body.metric, body.error)
    return {"ended": ended}


@router.post("/sweeps/{sweep_id}/control")
def control(sweep_id: str, body: Control, store: StoreDep, guard: GuardDep) -> SweepRecord:
    """``pause``, ``resume``, ``stop`` or ``cancel`` the sweep."""
    return _sweeps(store, guard, sweep_id, "EDIT").control(sweep_id, body.action)
