"""A training process killed with SIGKILL loses nothing its writer thread has flushed, and the
run is marked crashed. (How soon points are flushed is a benchmark number, not a test's.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import tracklog
from tracklog.store.tracking import Store

TRAIN = textwrap.dedent(
    """
    import os, sys, time
    import tracklog

    run = tracklog.init(project="crash", name="victim")
    print(run.id, flush=True)
    step = 0
    while True:
        run.log({"loss": 1.0 / (step + 1), "step_copy": float(step)})
        if step % 100 == 0:
            with open(sys.argv[1] + ".tmp", "w") as f:
                f.write(str(step))
            os.replace(sys.argv[1] + ".tmp", sys.argv[1])  # readers never see a half file
        step += 1
        time.sleep(0.0005)
    """
)


def test_sigkill_loses_nothing_the_writer_flushed(local_store: str, tmp_path: Path) -> None:
    progress = tmp_path / "progress.txt"
    proc = subprocess.Popen(
        [sys.executable, "-c", TRAIN, str(progress)], stdout=subprocess.PIPE, env=os.environ.copy()
    )
    run_id = proc.stdout.readline().decode().strip()
    deadline = time.monotonic() + 120
    while not progress.exists() or int(progress.read_text()) < 1000:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    reported_step = int(progress.read_text())
    # Wait until the writer thread has stored that step on its own (no finish, no flush call)
    # while the process goes on logging; then kill it.
    store = Store(local_store)
    while _stored_max_step(store, run_id) < reported_step:
        assert time.monotonic() < deadline, "the writer never flushed the logged points"
        assert proc.poll() is None
        time.sleep(0.05)
    store.close()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run = tracklog.Api().run(run_id)
    assert run.status == "FAILED" and "crashed" in run.error
    steps = run.series("step_copy").steps
    assert steps.max() >= reported_step
    assert steps.tolist() == list(range(len(steps)))  # no gaps before the kill


def _stored_max_step(store: Store, run_id: str) -> int:
    stats = [s for s in store.series_stats(run_id) if s.key == "step_copy"]
    return stats[0].max_step if stats and stats[0].max_step is not None else -1
