"""The installed ``tracklog`` console script, run as a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _script() -> str:
    beside = Path(sys.executable).parent / "tracklog"
    found = str(beside) if beside.exists() else shutil.which("tracklog")
    if found is None:
        pytest.skip("the tracklog console script is not installed")
    return found


def test_console_script_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "TRACKLOG_URI": f"sqlite:///{tmp_path}/tracklog.db", "NO_COLOR": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_script(), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )

    demo = run("demo", "--runs", "2")
    assert demo.returncode == 0, demo.stderr
    listed = run("runs", "ls", "--json", "--sort", "metrics.acc DESC")
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(records) == 2
    assert records[0]["summary"]["acc"] >= records[1]["summary"]["acc"]

    bad = run("runs", "ls", "--filter", "metrics.acc >")
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ")
    assert "'>'" in bad.stderr and "Traceback" not in bad.stderr

    usage = run("runs", "frobnicate")
    assert usage.returncode == 2 and usage.stderr.startswith("error: No such command")
