"""The claim loop of an agent: propose the parameters of the next trial number, claim it in
the store, and propose again for the next free number when another agent was first."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from tracklog.store.sweep_config import SweepConfig, parse
from tracklog.store.sweep_records import TRIAL_RUNNING, SweepState, TrialRecord
from tracklog.sweeps import search

PAUSED_POLL_S = 2.0
_ENDS = {"FINISHED": "finished", "FAILED": "failed", "STOPPED": "stopped", "CRASHED": "stopped"}


class Scheduler:
    """Hands out the trials of one sweep to one agent."""

    def __init__(self, sweeps: SweepState, sweep_id: str) -> None:
        self.sweeps = sweeps
        self.record = sweeps.sweep(sweep_id)
        self.config: SweepConfig = parse(self.record.config)
        self._next = 0  # a guess at the next free number; a claim's "retry" corrects it
        self._study = search.BayesStudy(self.config) if self.config.method == "bayes" else None

    def next_trial(
        self, owner: Mapping[str, Any], paused_poll_s: float = PAUSED_POLL_S
    ) -> TrialRecord | None:
        """The next trial for ``owner`` (``host``, ``pid``, ``pid_started``) with a new run id,
        or None once the sweep hands out no more; waits while the sweep is paused."""
        bayes = self.config.method == "bayes"
        # Grid and random points depend on the number only: no need to read the trials.
        trials = self.sweeps.trials(self.record.id) if bayes else []
        number = len(trials) if bayes else self._next
        while True:
            params = search.propose(
                self.config, self.record.seed, number, finished(trials), self._study
            )
            run_id = uuid.uuid4().hex
            claim = self.sweeps.claim_trial(self.record.id, number, params, run_id, owner)
            if claim.trial is not None:
                self._next = max(self._next, claim.trial.number + 1)
                return claim.trial
            if claim.outcome == "done":
                return None
            if claim.outcome == "paused":
                time.sleep(paused_poll_s)
            if bayes:
                trials = self.sweeps.trials(self.record.id)
                number = len(trials)
            elif claim.outcome == "retry":
                number = claim.next_number


def finished(trials: list[TrialRecord]) -> list[search.Finished]:
    """The ended trials, as the search methods take them."""
    return [
        search.Finished(t.params, _ENDS[t.status], t.metric, t.number)
        for t in trials
        if t.status != TRIAL_RUNNING
    ]
