"""The sweep methods (``store.sweep_records.SweepState``) over a server's
``/api/v1/sweeps`` routes, for agents on any machine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from tracklog.client.decode import number
from tracklog.client.remote import RemoteStore
from tracklog.store.sweep_records import Claim, SweepRecord, TrialRecord, record


class RemoteSweeps:
    """The sweeps of the server ``store`` talks to."""

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        self.http = store.http

    def create_sweep(
        self, project: str, config: Mapping[str, Any], name: str | None = None
    ) -> SweepRecord:
        """A new sweep (EDIT on ``project``; a new project is created, its creator manager)."""
        body = {"project": project, "config": dict(config), "name": name}
        return record(SweepRecord, self.http.call("POST", "/api/v1/sweeps", body))

    def sweep(self, sweep_id: str) -> SweepRecord:
        return record(SweepRecord, self.http.call("GET", _sweep(sweep_id)))

    def trials(self, sweep_id: str) -> list[TrialRecord]:
        answer = self.http.call("GET", _sweep(sweep_id, "trials"))
        return [_trial(t) for t in answer["trials"]]

    def claim_trial(
        self,
        sweep_id: str,
        number: int,
        params: Mapping[str, Any],
        run_id: str,
        owner: Mapping[str, Any],
    ) -> Claim:
        body = {"number": number, "params": dict(params), "run_id": run_id, "owner": dict(owner)}
        answer = self.http.call("POST", _sweep(sweep_id, "claims"), body)
        trial = answer.get("trial")
        return Claim(
            answer["outcome"], _trial(trial) if trial else None, answer.get("next_number", 0)
        )

    def heartbeat(self, sweep_id: str, number: int, run_id: str) -> str | None:
        path = _sweep(sweep_id, f"trials/{number}/heartbeat")
        stop: str | None = self.http.call("POST", path, {"run_id": run_id})["stop"]
        return stop

    def request_stop(self, sweep_id: str, number: int, reason: str) -> None:
        self.http.call("POST", _sweep(sweep_id, f"trials/{number}/stop"), {"reason": reason})

    def end_trial(
        self,
        sweep_id: str,
        number: int,
        run_id: str,
        status: str,
        metric: float | None = None,
        error: str | None = None,
    ) -> bool:
        body = {"run_id": run_id, "status": status, "metric": metric, "error": error}
        answer = self.http.call("POST", _sweep(sweep_id, f"trials/{number}/end"), body)
        return bool(answer["ended"])

    def control(self, sweep_id: str, action: str) -> SweepRecord:
        answer = self.http.call("POST", _sweep(sweep_id, "control"), {"action": action})
        return record(SweepRecord, answer)


def _sweep(sweep_id: str, tail: str = "") -> str:
    path = f"/api/v1/sweeps/{quote(sweep_id, safe='')}"
    return f"{path}/{tail}" if tail else path


def _trial(data: dict[str, Any]) -> TrialRecord:
    return record(TrialRecord, data, metric=number(data.get("metric")))
