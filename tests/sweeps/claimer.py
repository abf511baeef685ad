"""A child process that claims trials of a sweep until none are left, printing each number
(run by the tests as ``python claimer.py URI SWEEP_ID [hold]``; with ``hold`` it claims one
trial and then waits to be killed)."""

from __future__ import annotations

import sys
import time

from tracklog.store.liveness import owner_columns
from tracklog.store.sweeps import SweepStore
from tracklog.store.tracking import Store
from tracklog.sweeps.scheduler import Scheduler


def main() -> None:
    uri, sweep_id = sys.argv[1], sys.argv[2]
    hold = len(sys.argv) > 3
    sweeps = SweepStore(Store(uri))
    scheduler = Scheduler(sweeps, sweep_id)
    owner = owner_columns(True, None, None, None)
    while (trial := scheduler.next_trial(owner, paused_poll_s=0.05)) is not None:
        print(trial.number, trial.attempts, flush=True)
        if hold:
            time.sleep(600)
        assert trial.run_id is not None
        sweeps.end_trial(sweep_id, trial.number, trial.run_id, "FINISHED", metric=1.0)


if __name__ == "__main__":
    main()
