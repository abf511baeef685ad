"""Sweep state in the store (SQLite and PostgreSQL, one code path): sweeps, trial claims,
heartbeats, trial ends, and the pause / resume / stop / cancel controls.

A trial's number is claimed inside one write transaction holding the sweep's row (``FOR
UPDATE`` on PostgreSQL, the file's write lock on SQLite), and the number is the trial's primary
key besides: two agents never get the same trial, and a sweep hands out exactly
``trial_limit`` of them. An agent proposes the parameters of the number it claims (see
``tracklog.sweeps.search``); the store decides who gets it.

A trial whose agent is gone — its process dead on this host, or no heartbeat for
``stale_after_ms`` — is handed out again to the next agent that claims, with a new run;
after ``MAX_ATTEMPTS`` attempts it is marked CRASHED instead.
"""

from __future__ import annotations

import json
import math
import secrets
import socket
import string
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from tracklog.errors import InvalidTypeError, InvalidValueError, NotFoundError
from tracklog.store import json_output, sweep_config, validation
from tracklog.store.clock import now_ms
from tracklog.store.engine import reading, writing
from tracklog.store.liveness import process_alive
from tracklog.store.schema import experiments as _E
from tracklog.store.schema import sweep_trials as _T
from tracklog.store.schema import sweeps as _S
from tracklog.store.sweep_records import (
    SWEEP_ACTIONS,
    SWEEP_FINISHED,
    SWEEP_PAUSED,
    SWEEP_RUNNING,
    TRIAL_ENDS,
    TRIAL_RUNNING,
    Claim,
    SweepRecord,
    TrialRecord,
    record,
)
from tracklog.store.tracking import Store

MAX_ATTEMPTS = 3
STALE_AFTER_MS = 60_000  # an agent's heartbeat comes every few seconds
MAX_REASON = 1000
_ID_CHARS = string.ascii_lowercase + string.digits


class SweepStore:
    """The sweeps of one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def create_sweep(
        self, project: str, config: Mapping[str, Any], name: str | None = None
    ) -> SweepRecord:
        """A new RUNNING sweep in ``project`` (created if missing) of a W&B sweep config,
        checked here (:mod:`tracklog.store.sweep_config`); ``name`` defaults to the config's."""
        checked = sweep_config.parse(config)
        project = validation.name(project, "project name")
        name = name or checked.name
        if name is not None:
            name = validation.name(name, "sweep name")
        sweep_id = "".join(secrets.choice(_ID_CHARS) for _ in range(8))
        t = now_ms()
        row = {
            "id": sweep_id,
            "name": name,
            "method": checked.method,
            "config": json_output.dumps(dict(config)),
            "status": SWEEP_RUNNING,
            "seed": secrets.randbits(31),
            "trial_limit": checked.trial_limit(),
            "created_at": t,
            "updated_at": t,
        }
        with writing(self.engine) as conn:
            row["experiment_id"] = self.store.writable_project(conn, project)
            conn.execute(_S.insert().values(**row))
        return self.sweep(sweep_id)

    def sweep(self, sweep_id: str) -> SweepRecord:
        with reading(self.engine) as conn:
            row = conn.execute(_sweep_query().where(_S.c.id == sweep_id)).first()
        if row is None:
            raise NotFoundError(f"no sweep with id {sweep_id!r}")
        return _sweep(row)

    def project_sweeps(self, project: str) -> list[SweepRecord]:
        """The sweeps of an existing ``project``, newest first (:class:`NotFoundError` naming a
        project that does not exist)."""
        project_id = self.store.project_id(project)
        with reading(self.engine) as conn:
            rows = conn.execute(
                _sweep_query()
                .where(_S.c.experiment_id == project_id)
                .order_by(_S.c.created_at.desc(), _S.c.id)
            ).all()
        return [_sweep(row) for row in rows]

    def trials(self, sweep_id: str) -> list[TrialRecord]:
        """The trials of a sweep, by number."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(_T).where(_T.c.sweep_id == sweep_id).order_by(_T.c.number)
            ).all()
        return [_trial(row) for row in rows]

    def claim_trial(
        self,
        sweep_id: str,
        number: int,
        params: Mapping[str, Any],
        run_id: str,
        owner: Mapping[str, Any],
        stale_after_ms: int = STALE_AFTER_MS,
    ) -> Claim:
        """Claim trial ``number`` with ``params`` for a run ``run_id`` of agent ``owner``
        (``host``, ``pid``, ``pid_started``); or an abandoned trial, handed out again with
        its own parameters; or why none (:class:`Claim`)."""
        _number(number)
        validation.run_id(run_id)
        if not isinstance(params, Mapping):
            raise InvalidValueError("params must be a dict of the trial's parameters")
        params = validation.json_value(dict(params), "params")
        owner = {
            "host": None if owner.get("host") is None else validation.name(owner["host"], "host"),
            "pid": validation.integer(owner.get("pid"), "pid", 32),
            "pid_started": validation.integer(owner.get("pid_started"), "pid_started"),
        }
        t = now_ms()
        with writing(self.engine) as conn:
            status, limit = _locked_sweep(conn, sweep_id)
            if status == SWEEP_PAUSED:
                return Claim("paused")
            if status != SWEEP_RUNNING:
                return Claim("done")
            taken = self._reissue(conn, sweep_id, t, stale_after_ms, run_id, owner)
            if taken is not None:
                return Claim("claimed", taken)
            count = conn.execute(
                select(func.count()).select_from(_T).where(_T.c.sweep_id == sweep_id)
            ).scalar_one()
            if limit is not None and count >= limit:
                _finish_if_done(conn, sweep_id, limit, t)
                return Claim("done")
            if number != count:
                return Claim("retry", next_number=count)
            conn.execute(
                _T.insert().values(
                    sweep_id=sweep_id,
                    number=number,
                    params=json_output.dumps(dict(params)),
                    status=TRIAL_RUNNING,
                    run_id=run_id,
                    attempts=1,
                    heartbeat_at=t,
                    created_at=t,
                    **_owner(owner),
                )
            )
            row = conn.execute(_trial_query(sweep_id, number)).one()
        return Claim("claimed", _trial(row))

    def _reissue(
        self,
        conn: Connection,
        sweep_id: str,
        t: int,
        stale_after_ms: int,
        run_id: str,
        owner: Mapping[str, Any],
    ) -> TrialRecord | None:
        """The first abandoned trial, handed to ``owner``; abandoned ones past their last
        attempt are marked CRASHED on the way."""
        running = conn.execute(
            select(_T)
            .where(_T.c.sweep_id == sweep_id, _T.c.status == TRIAL_RUNNING)
            .order_by(_T.c.number)
        ).all()
        here = socket.gethostname()
        for row in running:
            if not _abandoned(row, t, stale_after_ms, here):
                continue
            where = (_T.c.sweep_id == sweep_id) & (_T.c.number == row.number)
            if row.attempts >= MAX_ATTEMPTS:
                conn.execute(
                    update(_T)
                    .where(where)
                    .values(
                        status="CRASHED",
                        ended_at=t,
                        error=f"its agent was lost {row.attempts} times",
                    )
                )
                continue
            conn.execute(
                update(_T)
                .where(where)
                .values(
                    run_id=run_id,
                    attempts=row.attempts + 1,
                    heartbeat_at=t,
                    stop_reason=None,
                    **_owner(owner),
                )
            )
            return _trial(conn.execute(_trial_query(sweep_id, row.number)).one())
        return None

    def heartbeat(self, sweep_id: str, number: int, run_id: str) -> str | None:
        """Record that the agent of trial ``number`` (attempt ``run_id``) is alive. Returns
        why the trial must stop now (the sweep canceled, a stop asked for, the trial handed
        to another agent), or None."""
        _number(number)
        validation.run_id(run_id)
        with writing(self.engine) as conn:
            row = conn.execute(
                select(_T.c.run_id, _T.c.status, _T.c.stop_reason, _S.c.status.label("sweep"))
                .join(_S, _S.c.id == _T.c.sweep_id)
                .where(_T.c.sweep_id == sweep_id, _T.c.number == number)
            ).first()
            if row is None:
                raise NotFoundError(f"sweep {sweep_id!r} has no trial {number}")
            if row.run_id != run_id or row.status != TRIAL_RUNNING:
                return "the trial was handed to another agent"
            conn.execute(
                update(_T)
                .where(_T.c.sweep_id == sweep_id, _T.c.number == number)
                .values(heartbeat_at=now_ms())
            )
        if row.sweep == "CANCELED":
            return "the sweep was canceled"
        return row.stop_reason

    def request_stop(self, sweep_id: str, number: int, reason: str) -> None:
        """Ask the agent of running trial ``number`` to stop it (at its next heartbeat)."""
        _number(number)
        reason = validation.free_text(reason, "reason", MAX_REASON)
        with writing(self.engine) as conn:
            conn.execute(
                update(_T)
                .where(
                    _T.c.sweep_id == sweep_id,
                    _T.c.number == number,
                    _T.c.status == TRIAL_RUNNING,
                )
                .values(stop_reason=reason)
            )

    def end_trial(
        self,
        sweep_id: str,
        number: int,
        run_id: str,
        status: str,
        metric: float | None = None,
        error: str | None = None,
    ) -> bool:
        """Record how trial ``number`` (attempt ``run_id``) ended; False when that attempt no
        longer holds it (handed out again meanwhile). The sweep is FINISHED once its last
        trial has ended."""
        if status not in TRIAL_ENDS:
            raise InvalidValueError(f"status must be one of {', '.join(TRIAL_ENDS)}: {status!r}")
        _number(number)
        validation.run_id(run_id)
        metric = _metric(metric)
        error = validation.error_text(error)
        t = now_ms()
        with writing(self.engine) as conn:
            _, limit = _locked_sweep(conn, sweep_id)
            done = conn.execute(
                update(_T)
                .where(
                    _T.c.sweep_id == sweep_id,
                    _T.c.number == number,
                    _T.c.run_id == run_id,
                    _T.c.status == TRIAL_RUNNING,
                )
                .values(status=status, metric=metric, error=error, ended_at=t)
            ).rowcount
            if done and limit is not None:
                _finish_if_done(conn, sweep_id, limit, t)
        return bool(done)

    def control(self, sweep_id: str, action: str) -> SweepRecord:
        """``pause``, ``resume``, ``stop`` or ``cancel`` a sweep, as W&B's."""
        if action not in SWEEP_ACTIONS:
            raise InvalidValueError(f"action must be one of {', '.join(SWEEP_ACTIONS)}: {action!r}")
        allowed, new = SWEEP_ACTIONS[action]
        with writing(self.engine) as conn:
            status, _ = _locked_sweep(conn, sweep_id)
            if status not in allowed:
                raise InvalidValueError(f"cannot {action} sweep {sweep_id!r}: it is {status}")
            conn.execute(
                update(_S).where(_S.c.id == sweep_id).values(status=new, updated_at=now_ms())
            )
        return self.sweep(sweep_id)


def _number(number: Any) -> None:
    """A trial number: a non-negative 32-bit integer."""
    if validation.integer(number, "trial number", 32) is None or number < 0:
        raise InvalidValueError(f"trial number must be an integer ≥ 0, got {number!r}")


def _metric(value: Any) -> float | None:
    """A trial's metric: a number (NaN and infinities: none), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTypeError(f"metric must be a number, got {value!r}")
    return float(value) if math.isfinite(value) else None


def _locked_sweep(conn: Connection, sweep_id: str) -> tuple[str, int | None]:
    """The sweep's status and trial limit, its row locked until the transaction ends."""
    row = conn.execute(
        select(_S.c.status, _S.c.trial_limit).where(_S.c.id == sweep_id).with_for_update()
    ).first()
    if row is None:
        raise NotFoundError(f"no sweep with id {sweep_id!r}")
    return row.status, row.trial_limit


def _finish_if_done(conn: Connection, sweep_id: str, limit: int, t: int) -> None:
    ended = conn.execute(
        select(func.count())
        .select_from(_T)
        .where(_T.c.sweep_id == sweep_id, _T.c.status != TRIAL_RUNNING)
    ).scalar_one()
    if ended >= limit:
        conn.execute(
            update(_S)
            .where(_S.c.id == sweep_id, _S.c.status == SWEEP_RUNNING)
            .values(status=SWEEP_FINISHED, updated_at=t)
        )


def _abandoned(row: Row[Any], t: int, stale_after_ms: int, here: str) -> bool:
    if row.heartbeat_at is None or row.heartbeat_at < t - stale_after_ms:
        return True
    return row.host == here and row.pid is not None and not process_alive(row.pid, row.pid_started)


def _owner(owner: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "host": owner.get("host"),
        "pid": owner.get("pid"),
        "pid_started": owner.get("pid_started"),
    }


def _sweep_query() -> Any:
    return select(_S, _E.c.name.label("project")).join(_E, _E.c.id == _S.c.experiment_id)


def _trial_query(sweep_id: str, number: int) -> Any:
    return select(_T).where(_T.c.sweep_id == sweep_id, _T.c.number == number)


def _sweep(row: Row[Any]) -> SweepRecord:
    return record(SweepRecord, row._asdict(), config=json.loads(row.config))


def _trial(row: Row[Any]) -> TrialRecord:
    return record(TrialRecord, row._asdict(), params=json.loads(row.params))
