"""``tracklog server --workers N``: its workers end with it, even when it is killed (issue 20)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from server_process import ServerProcess


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_workers_stop_when_the_master_is_killed(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 't.db'}", tmp_path / "artifacts", workers=2)
    server.start()
    assert server.proc is not None
    try:
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait()
        deadline = time.monotonic() + 30
        while _answers(server.url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers(server.url), "an orphan worker still answers on the port"
    finally:
        server.kill()
