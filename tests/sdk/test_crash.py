"""A training process killed with SIGKILL loses nothing logged more than ~1 s before the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import tracklog

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
                f.write(f"{step} {time.time()}")
            os.replace(sys.argv[1] + ".tmp", sys.argv[1])  # readers never see a half file
        step += 1
        time.sleep(0.0005)
    """
)


def test_sigkill_loses_nothing_older_than_a_second(local_store: str, tmp_path: Path) -> None:
    progress = tmp_path / "progress.txt"
    proc = subprocess.Popen(
        [sys.executable, "-c", TRAIN, str(progress)], stdout=subprocess.PIPE, env=os.environ.copy()
    )
    run_id = proc.stdout.readline().decode().strip()
    deadline = time.time() + 60
    while not progress.exists() or int(progress.read_text().split()[0]) < 1000:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(1.5)
    # The last step the child reported at least a second ago must be stored.
    reported_step, reported_at = progress.read_text().split()
    time.sleep(max(0.0, 1.0 - (time.time() - float(reported_at))))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run = tracklog.Api().run(run_id)
    assert run.status == "FAILED" and "crashed" in run.error
    steps = run.series("step_copy").steps
    assert steps.max() >= int(reported_step)
    assert steps.tolist() == list(range(len(steps)))  # no gaps before the kill
