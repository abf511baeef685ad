"""``tracklog server`` takes an ``mlflow server`` user's flags: the ones that mean something
here as aliases with the same meaning, the rest refused naming tracklog's equivalent (issue 19)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from server_process import ServerProcess
from tracklog.cli.main import cli


def _serve(tmp_path: Path, *flags: str) -> ServerProcess:
    # ServerProcess passes --artifacts-destination; the alias given after it is the one used.
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'tracklog.db'}", tmp_path / "unused", extra=list(flags)
    )
    return server.start()


def test_default_artifact_root_and_serve_artifacts_are_taken(tmp_path: Path) -> None:
    root = tmp_path / "bucket"
    server = _serve(tmp_path, "--default-artifact-root", str(root), "--serve-artifacts", "-w", "1")
    try:
        api = httpx.Client(base_url=f"{server.url}/api/v1")
        run = api.post("/runs", json={"project": "p"}).json()
        put = api.put(f"/runs/{run['id']}/artifacts/notes.txt", content=b"kept")
        assert put.status_code == 201, put.text
        assert [p.read_bytes() for p in root.rglob("notes.txt")] == [b"kept"]
        assert not (tmp_path / "unused").exists()
    finally:
        server.stop()


def test_app_name_basic_auth_turns_auth_on(tmp_path: Path) -> None:
    server = _serve(tmp_path, "--app-name", "basic-auth")
    try:
        assert httpx.get(f"{server.url}/api/v1/projects").status_code == 401
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--no-serve-artifacts"], "always serves artifacts"),
        (["--artifacts-only"], "no artifacts-only mode"),
        (["--app-name", "my-plugin"], "--app-name basic-auth (the same as --auth)"),
    ],
)
def test_flags_without_a_meaning_here_name_the_equivalent(
    flags: list[str], says: str, tmp_path: Path
) -> None:
    uri = f"sqlite:///{tmp_path / 'tracklog.db'}"
    result = CliRunner().invoke(cli, ["server", "--backend-store-uri", uri, *flags])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert flags[0] in result.output
    assert not (tmp_path / "tracklog.db").exists()  # refused before anything was opened


def test_mlflow_server_habits_listed_in_help() -> None:
    exe = shutil.which("tracklog") or str(Path(sys.executable).parent / "tracklog")
    out = subprocess.run([exe, "server", "--help"], capture_output=True, text=True).stdout
    for flag in ("--default-artifact-root", "--serve-artifacts", "--app-name", "-p, --port"):
        assert flag in out
