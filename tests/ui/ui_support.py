"""What the browser tests share: paths, the seeded data's shape, a training process's
environment, and the collector of a page's errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
SHOTS = ROOT / "test-artifacts" / "ui"
CLIENT = Path(__file__).parent / "training_client.py"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SWEEP_RUNS = 55  # more than one page of the runs table (50)


def client_env(url: str) -> dict[str, str]:
    """The environment of a training process logging to the server at ``url``."""
    env = {**os.environ, "TRACKLOG_URI": url}
    for name in ("TRACKLOG_MODE", "TRACKLOG_ARTIFACTS", "TRACKLOG_TOKEN"):
        env.pop(name, None)
    return env


class PageErrors:
    """Console errors and uncaught exceptions of a page. Chromium logs every failed request
    as a console error, so a test that provokes one names it first with :meth:`expect`."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[str] = []

    def expect(self, fragment: str) -> None:
        """Console errors containing ``fragment`` (e.g. "status of 404") are expected."""
        self.expected.append(fragment)

    def on_console(self, message: Any) -> None:
        if message.type == "error" and not any(f in message.text for f in self.expected):
            self.errors.append(f"console: {message.text}")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")
