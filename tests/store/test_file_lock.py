"""The store works where the platform has no ``flock`` (Windows): the locks step aside."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
sys.modules["fcntl"] = None  # as on Windows: `import fcntl` raises ImportError
import tracklog
run = tracklog.init(project="p")  # the store: ./tracklog
for i in range(3):
    run.log({"loss": 1.0 / (i + 1)})
run.finish()
from tracklog.store import file_lock
print(file_lock.AVAILABLE, tracklog.Api().run(run.id).series("loss").values.tolist())
"""


def test_logging_without_flock(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"TRACKLOG_CAPTURE": "0", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(None, 1) == ["False", "[1.0, 0.5, 0.3333333333333333]\n"]
    assert not list(tmp_path.rglob("*-writelock"))
