"""Start and stop a tracking server for a workload: free loopback port, health wait, RSS, stop.

Standard library only (it runs in every peer venv). The server runs in the workload's process
group; the driver starts each workload in a session of its own and kills that session when the
workload ends or times out, so a server outlives neither a crash nor a timeout. The workload
itself stops the server in a ``with`` block (SIGTERM to the whole process tree, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

STARTUP_TIMEOUT_S = 120.0


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so ``finally`` blocks (stopping servers) still run."""

    def _handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _handler)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_by_parent() -> dict[int, list[int]]:
    """Parent pid → child pids of every live process."""
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            out.setdefault(ppid, []).append(int(entry))
    return out


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants."""
    children = children_by_parent()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    """Proportional set size (shared pages split among their users), KiB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> dict[str, float]:
    """Memory of ``pid``'s process tree in MiB: current RSS, PSS (shared pages counted once)
    and peak RSS, each summed over the processes, and the number of processes."""
    pids = process_tree(pid)
    return {
        "server_rss_mb": sum(_status_kib(p, "VmRSS") for p in pids) / 1024,
        "server_pss_mb": sum(_pss_kib(p) for p in pids) / 1024,
        "server_peak_mb": sum(_status_kib(p, "VmHWM") for p in pids) / 1024,
        "server_procs": len(pids),
    }


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) spent so far by ``pid``'s live process tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """(status, body) of a GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


class Server:
    """A server process started from ``cmd`` (``{port}`` is substituted) and stopped on exit.

    ``with Server(...) as srv:`` starts it on a free loopback port and waits until
    ``health_path`` answers 200; ``srv.url`` is its base URL. Output goes to ``log_path``.
    """

    def __init__(
        self,
        cmd: Sequence[str],
        log_path: Path,
        cwd: Path,
        env: dict[str, str] | None = None,
        health_path: str = "/health",
    ) -> None:
        self.cmd_template = list(cmd)
        self.log_path = log_path
        self.cwd = cwd
        self.env = env
        self.health_path = health_path
        self.port = 0
        self.url = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start on a free port (retried once if the port was taken meanwhile)."""
        for attempt in range(3):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            cmd = [c.replace("{port}", str(self.port)) for c in self.cmd_template]
            t0 = time.perf_counter()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    cmd, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
                )
            if self._wait_healthy():
                self.startup_s = time.perf_counter() - t0
                return
            self.stop()
            if attempt == 2 or b"address already in use" not in self.log_tail().lower():
                break
        raise RuntimeError(f"server did not start: {' '.join(cmd)}\n{self.log_tail().decode()}")

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            status, _ = http_get(self.url + self.health_path, timeout=2.0)
            if status == 200:
                return True
            time.sleep(0.1)
        return False

    def log_tail(self, n: int = 4000) -> bytes:
        """The end of the server's output."""
        try:
            return self.log_path.read_bytes()[-n:]
        except OSError:
            return b""

    def memory(self) -> dict[str, float]:
        """:func:`tree_rss_mb` of the server: RSS, PSS, peak RSS (MiB) and process count."""
        assert self.proc is not None
        return tree_rss_mb(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM the whole process tree, wait up to 15 s, then SIGKILL what is left."""
        if self.proc is None:
            return
        pids = process_tree(self.proc.pid) if self.proc.poll() is None else []
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None and not any(_alive(p) for p in pids[1:]):
                break
            time.sleep(0.05)
        for p in pids:
            if _alive(p):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            print(f"server {self.proc.pid} did not exit", file=sys.stderr)
        self.proc = None


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
