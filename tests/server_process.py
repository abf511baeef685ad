"""A real ``tracklog server`` process that tests start, SIGKILL and restart.

The server binds port 0 and the port it got is read from its start-up line, so no other
process (another test, another session on this machine) can take the port in between.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    """A port free now. Only for a URL that must be known before its server starts: another
    process may take it in between (``ServerProcess`` learns its port from the server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_LISTENING = re.compile(rb"Uvicorn running on https?://\S+:(\d+) ")


def listening_port(output: bytes) -> int:
    """The port uvicorn says it listens on (it names the one it got for port 0), or 0 while
    it has not said so yet."""
    found = _LISTENING.search(output)
    return int(found.group(1)) if found else 0


@dataclass
class ServerProcess:
    """``tracklog server`` on 127.0.0.1; ``start()`` again after ``kill()`` for a restart.

    With ``port`` 0 (the default) the first start takes a free port; restarts keep it.
    """

    store_uri: str
    artifacts: Path
    port: int = 0
    workers: int = 1
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        assert self.port, "the port is known once the server has started (or pass port=)"
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        exe = shutil.which("tracklog") or str(Path(sys.executable).parent / "tracklog")
        args = [exe, "server", "--backend-store-uri", self.store_uri]
        args += ["--artifacts-destination", str(self.artifacts), "--port", str(self.port)]
        args += ["--workers", str(self.workers), *self.extra]
        # A file, not a pipe: nobody reads the server's output while it runs, and a full pipe
        # would stall it.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (read by output() after a stop)
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"tracklog server exited with {self.proc.returncode}:\n{self.output()}"
                )
            if not self.port:
                self.port = listening_port(self._output_bytes())
            if self.port:
                try:
                    if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"tracklog server did not answer in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self._output_bytes().decode(errors="replace")

    def _output_bytes(self) -> bytes:
        if self._log is None:
            return b""
        self._log.seek(0)
        return self._log.read()

    def kill(self) -> None:
        """SIGKILL the server (and its workers) at once."""
        if self.proc and self.proc.poll() is None:
            for pid in _children(self.proc.pid):
                _signal(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [int(p) for p in out.split()]


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
