"""Helpers for the capture tests: real git repositories made on the spot."""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_helpers import make_repo


@pytest.fixture(autouse=True)
def _plain_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine's git configuration out of the tests (and let them commit)."""
    config = tmp_path_factory.mktemp("git-home") / ".gitconfig"
    config.write_text("")
    for key, value in {**_GIT_ENV, "GIT_CONFIG_GLOBAL": str(config)}.items():
        monkeypatch.setenv(key, value)


_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "hello\n", "src/app.py": "print(1)\n"})


@pytest.fixture(autouse=True)
def _capture_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about capture: undo the suite-wide ``TRACKLOG_CAPTURE=0``."""
    monkeypatch.delenv("TRACKLOG_CAPTURE", raising=False)
