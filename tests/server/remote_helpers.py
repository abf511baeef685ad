"""Helpers of the remote-client tests: the environment of a client, and logging processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# Short backoffs keep the fault tests quick; the finish timeout stays generous.
FAST_RETRIES = {
    "TRACKLOG_RETRY_MIN": "0.05",
    "TRACKLOG_RETRY_MAX": "0.5",
    "TRACKLOG_INIT_TIMEOUT": "5",
    "TRACKLOG_FINISH_TIMEOUT": "60",
}

# A training process: logs ``steps`` steps of three keys whose values follow from the step.
# Given a third argument, it stops halfway until that file exists: a test can act while it is
# surely still logging, however slow the machine.
CLIENT = textwrap.dedent(
    """
    import os, sys, time
    import tracklog

    run_id, steps, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    run = tracklog.init(project="faults", id=run_id)
    for step in range(steps):
        if hold and step == steps // 2:
            while not os.path.exists(hold[0]):
                time.sleep(0.02)
        run.log({"a": step * 0.5, "b": -step, "c": step % 7})
    run.finish()
    """
)
KEYS = {"a": lambda s: s * 0.5, "b": lambda s: -s.astype(float), "c": lambda s: s % 7}


@dataclass
class Client:
    """A training process and the file its standard error goes to."""

    proc: subprocess.Popen[bytes]
    stderr: Path

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace") if self.stderr.exists() else ""


def client_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a client process logging to the server at ``url``."""
    env = {**os.environ, **FAST_RETRIES, "TRACKLOG_URI": url, **extra}
    env.pop("TRACKLOG_MODE", None)
    return env


def start_client(
    run_id: str, steps: int, url: str, cwd: Path, hold: Path | None = None, **env: str
) -> Client:
    """A training process logging run ``run_id`` to ``url``, its journals under ``cwd``; with
    ``hold``, it waits halfway until that file exists."""
    stderr = cwd / f"{run_id}.stderr"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, run_id, str(steps), *([str(hold)] if hold else [])],
            cwd=cwd,
            env=client_env(url, **env),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    return Client(proc, stderr)


def wait_clients(clients: list[Client], timeout: float = 120) -> list[str]:
    """Wait for every client to exit 0; return their standard error texts."""
    errors = []
    for client in clients:
        client.proc.wait(timeout=timeout)
        errors.append(client.errors())
        assert client.proc.returncode == 0, errors[-1]
    return errors


def wait_for_text(clients: list[Client], text: str, timeout: float = 120) -> None:
    """Wait until one client's standard error says ``text``."""
    deadline = time.monotonic() + timeout
    while not any(text in client.errors() for client in clients):
        assert time.monotonic() < deadline, f"no client said {text!r}"
        time.sleep(0.05)


def wait_points(url: str, run_ids: list[str], timeout: float = 60) -> None:
    """Wait until the server holds some points of every run (the clients are logging)."""
    from tracklog.client.remote import RemoteStore

    remote = RemoteStore(url)
    deadline = time.monotonic() + timeout
    try:
        for run_id in run_ids:
            while not (remote.has_run(run_id) and remote.series_stats(run_id)):
                assert time.monotonic() < deadline, f"no points of {run_id} on the server"
                time.sleep(0.05)
    finally:
        remote.close()


def assert_logged_once(url: str, run_id: str, steps: int) -> None:
    """Every point the client logged is on the server exactly once, with its value."""
    import tracklog

    run = tracklog.Api(url).run(run_id)
    assert run.status == "FINISHED"
    expected = np.arange(steps)
    for key, value_of in KEYS.items():
        series = run.series(key)
        np.testing.assert_array_equal(series.steps, expected, err_msg=f"{run_id} {key}")
        np.testing.assert_array_equal(series.values, value_of(expected), err_msg=key)


def sdk_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """For a fixture: in-process SDK runs with short backoffs, journals under tmp_path (the
    working directory); open runs are finished and server clients closed afterwards."""
    from tracklog.sdk import current, stores

    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    for name in ("TRACKLOG_MODE", "TRACKLOG_ARTIFACTS", "TRACKLOG_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(stores, "_tracking_uri", None)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for run in list(current.runs):
        run.finish()
    for remote in stores.servers.values():
        remote.close()
    stores.servers.clear()
