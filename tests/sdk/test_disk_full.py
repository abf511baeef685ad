"""A disk that fills up while the writer flushes must not corrupt the store.

The child process caps its own file size (RLIMIT_FSIZE), which makes SQLite's writes fail just
as they do on a full disk; the parent then checks the store with SQLite's integrity check.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import tracklog

CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    import tracklog

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    run = tracklog.init(project="full", config={"lr": 0.1})
    print(run.id, flush=True)
    for i in range(2000):
        run.log({"early": float(i)})
    run._writer.flush()
    limit = max(f.stat().st_size for f in __import__("pathlib").Path(sys.argv[1]).iterdir())
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit + 8192, limit + 8192))
    for i in range(200_000):
        run.log({"late": float(i), "noise": float(i) * 1.37})
    run.finish()
    """
)


def test_full_disk_while_flushing_keeps_the_store_intact(local_store: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, local_store],
        capture_output=True,
        env=os.environ.copy(),
        timeout=240,
    )
    run_id = proc.stdout.decode().split()[0]
    stderr = proc.stderr.decode()
    assert "were not written because the store failed" in stderr, stderr
    assert "Traceback" not in stderr.split("tracklog:")[0], stderr
    db = Path(local_store) / "tracklog.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    run = tracklog.Api().run(run_id)
    assert run.config == {"lr": 0.1}
    assert run.series("early").values.tolist() == [float(i) for i in range(2000)]
    assert run.status == "FAILED" and "they are lost" in (run.error or "")  # not FINISHED
