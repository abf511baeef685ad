"""The sweep agent: claims trials one after another and runs each, as a function in this
process (``tracklog.agent(sweep_id, function=...)``) or as the config's command in a
subprocess (``tracklog agent SWEEP_ID``); a heartbeat thread keeps each trial claimed and stops
it when the sweep is canceled or hyperband finds it behind."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.sdk import current, sweep_trial
from tracklog.store.liveness import owner_columns
from tracklog.store.sweep_records import SweepState, TrialRecord
from tracklog.sweeps import hyperband
from tracklog.sweeps.command import command_line, require_program
from tracklog.sweeps.scheduler import Scheduler

HEARTBEAT_S = float(os.environ.get("TRACKLOG_SWEEP_HEARTBEAT_S", "5"))
STOP_GRACE_S = 10.0  # after SIGTERM, a stopped program's time to finish its run
ERROR_TAIL = 8000  # bytes of a failed program's stderr kept with its trial


@dataclass
class Outcome:
    status: str  # FINISHED, FAILED or STOPPED
    error: str | None = None


class Agent:
    """Runs trials of sweep ``sweep_id`` from the store ``sweeps``, whose URI is ``uri``."""

    def __init__(self, sweeps: SweepState, sweep_id: str, uri: str) -> None:
        self.sweeps = sweeps
        self.scheduler = Scheduler(sweeps, sweep_id)
        self.config = self.scheduler.config
        self.sweep_id = sweep_id
        self.uri = uri
        self.owner = owner_columns(True, None, None, None)

    def run(
        self,
        function: Callable[[], Any] | None = None,
        count: int | None = None,
        gpus: Sequence[str] = (),
    ) -> int:
        """Run trials until the sweep has no more (or ``count`` of them); how many ran. With
        ``gpus``, one program trial at a time per listed device, each with
        ``CUDA_VISIBLE_DEVICES`` set to its device."""
        if function is None:
            require_program(self.config)
        elif gpus:
            raise InvalidValueError("gpus: device slots run the sweep's command, not a function")
        budget = _Budget(count)
        if len(gpus) <= 1:
            self._loop(self.scheduler, function, budget, gpus[0] if gpus else None)
            return budget.ran
        with ThreadPoolExecutor(len(gpus), thread_name_prefix="tracklog-sweep-slot") as pool:
            slots = [
                pool.submit(self._loop, Scheduler(self.sweeps, self.sweep_id), None, budget, gpu)
                for gpu in gpus
            ]
            for slot in slots:
                slot.result()  # a slot's error is the agent's
        return budget.ran

    def _loop(
        self,
        scheduler: Scheduler,
        function: Callable[[], Any] | None,
        budget: _Budget,
        device: str | None,
    ) -> None:
        while budget.take():
            trial = scheduler.next_trial(self.owner)
            if trial is None:
                budget.give_back()
                return
            self._run_trial(trial, function, device)

    def _run_trial(
        self, trial: TrialRecord, function: Callable[[], Any] | None, device: str | None
    ) -> None:
        assert trial.run_id is not None
        handoff = sweep_trial.SweepTrial(
            self.sweep_id, trial.number, trial.run_id, self.scheduler.record.project, trial.params
        )
        beat = _Heartbeat(self, trial)
        beat.start()
        try:
            if function is None:
                outcome = self._run_program(handoff, beat, device)
            else:
                outcome = _run_function(handoff, function)
        finally:
            beat.stop()
        if beat.reason is not None and function is None:  # a function cannot be stopped
            outcome = Outcome("STOPPED", beat.reason)
        metric = self._metric(trial, outcome)
        self.sweeps.end_trial(
            self.sweep_id, trial.number, trial.run_id, outcome.status, metric, outcome.error
        )
        if metric is not None and self.config.metric and self.config.metric.reached(metric):
            with contextlib.suppress(InvalidValueError):  # canceled meanwhile: ended already
                self.sweeps.control(self.sweep_id, "stop")  # W&B: the target ends the sweep

    def _run_program(
        self, handoff: sweep_trial.SweepTrial, beat: _Heartbeat, device: str | None
    ) -> Outcome:
        env = {
            **os.environ,
            sweep_trial.ENV: handoff.env_value(),
            "TRACKLOG_URI": self.uri,
            "TRACKLOG_SWEEP_ID": self.sweep_id,
        }
        if device is not None:
            env["CUDA_VISIBLE_DEVICES"] = device
        with tempfile.TemporaryDirectory(prefix="tracklog-trial-") as folder:
            argv = command_line(self.config, handoff.params, Path(folder))
            try:
                proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
            except OSError as exc:
                return Outcome("FAILED", f"cannot start {argv[0]!r}: {exc}")
            beat.process = proc
            if beat.reason is not None:  # told to stop before the process was there
                beat.terminate()
            tail = _StderrTail(proc)
            tail.start()
            code = proc.wait()
            tail.join()
        if code == 0:
            return Outcome("FINISHED")
        return Outcome("FAILED", f"exit code {code}\n{tail.text()}")

    def _metric(self, trial: TrialRecord, outcome: Outcome) -> float | None:
        """Tag the trial's run with its sweep; the run's summary value of the sweep's metric,
        with a warning when a trial that finished has none."""
        assert trial.run_id is not None
        store = self.sweeps.store
        try:
            run = store.get_run(trial.run_id)
        except NotFoundError:
            warnings.warn(f"sweep trial {trial.number} started no run", stacklevel=2)
            return None
        tags = {"sweep_id": self.sweep_id, "sweep_trial": str(trial.number)}
        if outcome.status == "STOPPED":
            tags["sweep_stop_reason"] = outcome.error or ""
        store.set_tags(trial.run_id, tags)
        metric = self.config.metric
        if metric is None:
            return None
        value = run.summary.get(metric.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) if math.isfinite(value) else None
        if outcome.status == "FINISHED":
            warnings.warn(
                f"sweep trial {trial.number} never logged the sweep's metric {metric.name!r}",
                stacklevel=2,
            )
        return None

    def behind(self, trial: TrialRecord) -> str | None:
        """Why hyperband stops ``trial`` now, or None."""
        rule, metric = self.config.early_terminate, self.config.metric
        if rule is None or metric is None:
            return None
        trials = self.sweeps.trials(self.sweep_id)
        histories = {}
        for t in trials:
            if t.run_id is None:
                continue
            try:
                _, values, _ = self.sweeps.store.read_series(t.run_id, metric.name)
            except NotFoundError:
                continue
            histories[t.number] = values.tolist()
        if hyperband.to_stop(rule, metric.goal, histories, {trial.number}):
            return f"hyperband: behind at iteration {len(histories[trial.number])}"
        return None


def _run_function(handoff: sweep_trial.SweepTrial, function: Callable[[], Any]) -> Outcome:
    """Call ``function`` with the trial handed to ``init()``; a run it leaves open is finished."""
    before = os.environ.get(sweep_trial.ENV)
    os.environ[sweep_trial.ENV] = handoff.env_value()
    try:
        function()
    except Exception:
        _finish_open(handoff.run_id, 1)
        return Outcome("FAILED", traceback.format_exc()[-ERROR_TAIL:])
    finally:
        if before is None:
            os.environ.pop(sweep_trial.ENV, None)
        else:
            os.environ[sweep_trial.ENV] = before
    _finish_open(handoff.run_id, 0)
    return Outcome("FINISHED")


def _finish_open(run_id: str, exit_code: int) -> None:
    for run in list(current.runs):
        if run.id == run_id:
            run.finish(exit_code)


class _Budget:
    """How many trials the agent's slots may still start (``count``; None: no end)."""

    def __init__(self, count: int | None) -> None:
        self.count = count
        self.ran = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.count is not None and self.ran >= self.count:
                return False
            self.ran += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.ran -= 1


class _StderrTail(threading.Thread):
    """Shows a trial's stderr as it comes (progress bars included) and keeps its last
    ``ERROR_TAIL`` bytes for the trial's error."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        super().__init__(name="tracklog-sweep-stderr", daemon=True)
        assert proc.stderr is not None
        self.source = proc.stderr
        self.kept = bytearray()

    def run(self) -> None:
        out = getattr(sys.stderr, "buffer", None)  # a notebook's stderr takes text only
        while chunk := os.read(self.source.fileno(), 1 << 16):
            if out is not None:
                out.write(chunk)
                out.flush()
            else:
                sys.stderr.write(chunk.decode("utf-8", "replace"))
            self.kept += chunk
            del self.kept[:-ERROR_TAIL]
        self.source.close()

    def text(self) -> str:
        return bytes(self.kept).decode("utf-8", "replace")


class _Heartbeat(threading.Thread):
    """Keeps a trial claimed; when the store or hyperband says stop, records why and ends a
    program trial's process (SIGTERM, then SIGKILL after a grace period)."""

    def __init__(self, agent: Agent, trial: TrialRecord) -> None:
        super().__init__(name=f"tracklog-sweep-trial-{trial.number}", daemon=True)
        self.agent = agent
        self.trial = trial
        self.reason: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(HEARTBEAT_S):
            try:
                reason = self.agent.sweeps.heartbeat(
                    self.agent.sweep_id, self.trial.number, self.trial.run_id or ""
                )
                reason = reason or self.agent.behind(self.trial)
            except Exception as exc:  # a store away for a moment: the next beat tries again
                warnings.warn(f"sweep heartbeat failed: {exc}", stacklevel=1)
                continue
            if reason is not None:
                self.reason = reason
                self.terminate()
                return

    def terminate(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()

    def stop(self) -> None:
        self._done.set()
        self.join()
