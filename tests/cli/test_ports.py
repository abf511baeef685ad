"""``tracklog ui`` and ``tracklog server`` on a busy port: one ``error:`` line naming it, before
any URL is printed or a browser opened; without --port, a free port is taken instead (issue 20)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracklog.cli.ports import DEFAULT_PORT

TRACKLOG = shutil.which("tracklog") or str(Path(sys.executable).parent / "tracklog")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "TRACKLOG_URI": str(tmp_path / "store"), "BROWSER": "true"}


@pytest.mark.parametrize("command", [["ui", "--no-browser", "--no-demo"], ["server"]])
def test_a_busy_port_is_one_error_line_before_any_url(
    command: list[str], busy_port: int, tmp_path: Path
) -> None:
    done = subprocess.run(
        [TRACKLOG, *command, "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stdout == ""  # no URL, no start-up line
    assert done.stderr.splitlines() == [
        f"error: port {busy_port} on 127.0.0.1 is in use (another server listens there): "
        "choose another with --port, or --port 0 for any free one"
    ]
    assert not (tmp_path / "store").exists()  # nothing opened or created


def test_the_default_port_falls_back_to_a_free_one(tmp_path: Path) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", DEFAULT_PORT))
        except OSError:
            pytest.skip(f"port {DEFAULT_PORT} is taken by another program on this machine")
        sock.listen()
        proc = subprocess.Popen(
            [TRACKLOG, "ui", "--no-browser", "--no-demo"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
            cwd=tmp_path,
        )
        try:
            assert proc.stderr is not None and proc.stdout is not None
            said = proc.stderr.readline()
            assert said.startswith(f"port {DEFAULT_PORT} on 127.0.0.1 is in use; using the free")
            port = int(said.split()[-1])
            assert f"at http://127.0.0.1:{port}/" in proc.stdout.readline()
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_the_server_serves_the_sdks_default_store(tmp_path: Path) -> None:
    """With no --backend-store-uri, the server shows what the SDK logged into ./tracklog."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKLOG_URI", "TRACKLOG_ARTIFACTS")}
    script = "import tracklog; tracklog.init(project='here').finish()"
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True, timeout=60)
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = subprocess.Popen(
        [TRACKLOG, "server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        import httpx

        from server_process import listening_port

        assert proc.stdout is not None
        port = 0
        deadline = time.monotonic() + 60
        while not port and time.monotonic() < deadline:
            port = listening_port(proc.stdout.readline().encode())
        projects = httpx.get(f"http://127.0.0.1:{port}/api/v1/projects").json()["projects"]
        assert "here" in [p["name"] for p in projects]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == before == ["tracklog"]
