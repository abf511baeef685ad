"""Waiting for a run's file to show some text (a file uploaded while the run runs)."""

from __future__ import annotations

import time
from pathlib import Path

import tracklog


def wait_for_text(
    api: tracklog.Api, run_id: str, name: str, text: str, dest: Path, timeout_s: float = 30
) -> str:
    """The content of run file ``name`` once it holds ``text``, or what it held at the end of
    ``timeout_s`` seconds (empty if it never appeared)."""
    seen = ""
    deadline = time.monotonic() + timeout_s
    while text not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
        if name in api.run(run_id).files():
            seen = api.run(run_id).download(name, dest).read_text()
    return seen
