"""``tracklog ui``: serves the local store (demo runs first if it is empty) and opens the
browser; ``tracklog demo --remove`` takes the demo runs away again."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from server_process import free_port


def tracklog(*args: str) -> list[str]:
    exe = shutil.which("tracklog") or str(Path(sys.executable).parent / "tracklog")
    return [exe, *args]


def start_ui(
    store: Path, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``tracklog ui`` on ``store``, once it answers. It names its URL before it listens, so it
    takes a port chosen here: when another process took that port first, on another one."""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(
            tracklog("--uri", str(store), "ui", "--port", str(port), *args),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while proc.poll() is None:
            assert time.monotonic() < deadline, f"tracklog ui did not answer on {url}"
            try:
                if httpx.get(f"{url}health", timeout=5).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                time.sleep(0.1)
        output = proc.communicate()[0]
        assert "address already in use" in output, output
    raise AssertionError("tracklog ui found no free port in 5 tries")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    return proc.communicate(timeout=30)[0]


def test_ui_logs_demo_runs_into_an_empty_store_and_opens_the_browser(
    tmp_path: Path, browser: Browser
) -> None:
    opened = tmp_path / "opened.txt"  # the "browser" writes down the URL it is asked to open
    write_arg = "import sys; open(sys.argv[1], 'w').write(sys.argv[2])"
    fake_browser = shlex.join([sys.executable, "-c", write_arg, str(opened)]) + " %s"
    proc, url = start_ui(tmp_path / "store", tmp_path, env={"BROWSER": fake_browser})
    try:
        deadline = time.monotonic() + 30
        while not (opened.exists() and opened.read_text()):
            assert time.monotonic() < deadline, "no browser was opened"
            time.sleep(0.1)
        assert opened.read_text() == url
        projects = httpx.get(f"{url}api/v1/projects").json()["projects"]
        assert [(p["name"], p["run_count"]) for p in projects] == [("Default", 0), ("demo", 3)]

        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}#/projects/demo")
        expect(page.locator("table.runs tbody tr")).to_have_count(3)
        expect(page.locator("table.runs tbody td[data-col=tags]").first).to_have_text("demo")
        page.close()
        assert not errors
    finally:
        output = stop(proc)
    assert "remove them with 'tracklog demo --remove'" in output


def test_demo_remove_moves_the_demo_runs_to_the_trash(tmp_path: Path) -> None:
    store = tmp_path / "store"
    subprocess.run(tracklog("--uri", str(store), "demo", "--runs", "2"), check=True, cwd=tmp_path)
    removed = subprocess.run(
        tracklog("--uri", str(store), "demo", "--remove"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert removed.stdout.strip() == "moved 2 demo runs of 'demo' to the trash"
    listed = subprocess.run(
        tracklog("--uri", str(store), "runs", "ls", "--deleted"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.count("(deleted)") == 2


def test_ui_leaves_a_store_with_runs_alone(tmp_path: Path) -> None:
    store = tmp_path / "store"
    subprocess.run(
        tracklog("--uri", str(store), "demo", "--runs", "1", "--project", "mine"),
        check=True,
        cwd=tmp_path,
        capture_output=True,
    )
    proc, url = start_ui(store, tmp_path, "--no-browser")
    try:
        projects = httpx.get(f"{url}api/v1/projects").json()["projects"]
        assert [p["name"] for p in projects] == ["Default", "mine"]  # demo runs not added
    finally:
        output = stop(proc)
    assert "demo runs" not in output


def test_ui_refuses_a_server_uri(tmp_path: Path) -> None:
    result = subprocess.run(
        tracklog("--uri", "http://127.0.0.1:9", "ui", "--no-browser"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "is a tracklog server, which serves the UI itself" in result.stderr
