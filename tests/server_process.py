"""A real ``tracklog server`` process that tests start, SIGKILL and restart."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """``tracklog server`` on 127.0.0.1; ``start()`` again after ``kill()`` for a restart."""

    store_uri: str
    artifacts: Path
    port: int = field(default_factory=free_port)
    workers: int = 1
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        exe = shutil.which("tracklog") or str(Path(sys.executable).parent / "tracklog")
        args = [exe, "server", "--backend-store-uri", self.store_uri]
        args += ["--artifacts-destination", str(self.artifacts), "--port", str(self.port)]
        args += ["--workers", str(self.workers), *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"tracklog server exited with {self.proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"tracklog server did not answer on {self.url} in {timeout} s")

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


def start_auth_server(
    folder: Path, users: dict[str, bool], extra: tuple[str, ...] = ()
) -> tuple[ServerProcess, dict[str, str]]:
    """A ``tracklog server --auth`` on a new SQLite store in ``folder`` with ``users`` (name:
    is admin); returns it, started, and a token per user."""
    from tracklog.store.auth import AuthStore
    from tracklog.store.location import StoreLocation, resolve
    from tracklog.store.tracking import Store

    uri = f"sqlite:///{folder}/tracklog.db"
    store = Store(StoreLocation(resolve(uri).db_url, str(folder / "artifacts")))
    auth = AuthStore(store)
    for name, admin in users.items():
        auth.create_user(name, None, admin=admin)
    tokens = {name: auth.create_token(name, "tests").secret for name in users}
    store.close()
    server = ServerProcess(uri, folder / "artifacts", extra=["--auth", *extra]).start()
    return server, tokens
