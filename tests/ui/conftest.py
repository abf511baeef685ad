"""Fixtures of the browser tests: the real Debian chromium driven by Playwright, against a real
``tracklog server`` process holding runs logged by a real training process.

Without chromium the tests are skipped, unless the ``CI`` environment variable is set: then
they fail, because CI must run them (``scripts/test.sh`` installs chromium).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import expect
from ui_support import CHROMIUM_ARGS, CLIENT, SHOTS, SWEEP_RUNS, PageErrors, client_env

from server_process import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server on a SQLite store with the seeded projects: vision, nlp and sweep."""
    root = tmp_path_factory.mktemp("ui")
    server = ServerProcess(f"sqlite:///{root}/tracklog.db", root / "artifacts").start()
    try:
        subprocess.run(
            [sys.executable, str(CLIENT), "seed"],
            cwd=root,
            env=client_env(server.url),
            check=True,
            timeout=120,
        )
        api = httpx.Client(base_url=f"{server.url}/api/v1")
        for i in range(SWEEP_RUNS):
            run = api.post(
                "/runs", json={"project": "sweep", "name": f"sweep-{i:02d}", "config": {"width": i}}
            ).json()
            api.post(f"/runs/{run['id']}/summary", json={"values": {"score": i / 10}})
            api.post(f"/runs/{run['id']}/finish", json={"status": "FINISHED"})
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium."""
    exe = shutil.which("chromium")
    if exe is None:
        if _in_ci():
            pytest.fail("CI is set but chromium is not installed", pytrace=False)
        pytest.skip("chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def page(browser: Browser, ui_server: ServerProcess, page_errors: PageErrors) -> Iterator[Page]:
    """A fresh page on the server; the test fails on any console error or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=ui_server.url)
    page = context.new_page()
    page.on("console", page_errors.on_console)
    page.on("pageerror", page_errors.on_page_error)
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)  # plotly.js takes seconds to compile on a busy machine
    yield page
    context.close()
    assert not page_errors.errors, "\n".join(page_errors.errors)


@pytest.fixture
def shot(page: Page) -> Callable[[str], Path]:
    """Save a screenshot of the whole page as test-artifacts/ui/NAME.png."""

    def save(name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
