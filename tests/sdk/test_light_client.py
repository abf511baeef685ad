"""A logging script imports only what its path needs: logging to a server or offline loads no
SQLAlchemy (the client, journal, writer and wire format stand on the dependency-free core, not
on the store's database layer) and not httpx's command-line client; logging to a local store
loads no HTTP client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inprocess import SocketServer, socket_server
from tracklog.sdk.sync import find_journals, sync_folder
from tracklog.store.tracking import Store

# The child notes the stack of the first import of each watched module (argv[1:]), so a
# failure names its importer.
SCRIPT = textwrap.dedent(
    """
    import json, sys, threading, traceback

    class Watch:
        stacks = {}
        threads = {}

        def find_spec(self, name, path=None, target=None):
            if name in sys.argv[1:] and name not in Watch.stacks:
                frames = traceback.extract_stack()[:-1]
                own = [f for f in frames if not f.filename.startswith("<frozen")]
                Watch.stacks[name] = "".join(traceback.format_list(own))
                Watch.threads[name] = threading.current_thread().name
            return None

    sys.meta_path.insert(0, Watch())

    import tracklog

    run = tracklog.init(project="light", config={"lr": 0.1, "opt": {"b1": 0.9}})
    for step in range(100):
        run.log({"loss": 1 / (step + 1), "acc": step / 100})
    run.track(0.5, name="acc", context={"subset": "val"})
    run.summary["best"] = 0.9
    run.finish()
    print(json.dumps({"run": run.id, "imported": Watch.stacks, "threads": Watch.threads}))
    """
)

# What a script logging to a server or offline never needs: the database layer, and httpx's
# command-line client (click, rich, pygments: half of httpx's import; encode/httpx#3547).
NOT_REMOTE = ("sqlalchemy", "alembic", "click", "rich", "pygments")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SocketServer]:
    # The client is the subject here; the server's database does not matter, so SQLite only.
    with socket_server(f"sqlite:///{tmp_path}/tracklog.db", tmp_path / "artifacts") as server:
        yield server


def _run_in_a_child(env: dict[str, str], cwd: Path, watched: tuple[str, ...]) -> dict[str, Any]:
    """Run SCRIPT with ``env``: the id of the run it logged, and the stack and thread that
    first imported each of the ``watched`` modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *watched],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _log_in_a_child(env: dict[str, str], cwd: Path, unwanted: tuple[str, ...] = NOT_REMOTE) -> str:
    """Run SCRIPT with ``env``; fail naming the importer if it loaded one of the ``unwanted``
    modules, else return the id of the run it logged."""
    out = _run_in_a_child(env, cwd, unwanted)
    for name, stack in out["imported"].items():
        pytest.fail(f"{name} was imported from:\n{stack}")
    return out["run"]


def _assert_logged_whole(store: Store, run_id: str) -> None:
    """The light path is the real one: the run arrived whole."""
    run = store.get_run(run_id)
    assert run.status == "FINISHED" and run.config == {"lr": 0.1, "opt": {"b1": 0.9}}
    stats = {(s.key, s.context): s.count for s in store.series_stats(run.id)}
    assert stats == {("loss", ""): 100, ("acc", ""): 100, ("acc", '{"subset":"val"}'): 1}
    assert run.summary["best"] == 0.9


@pytest.mark.parametrize("capture", ["0", "1"], ids=["bare", "capture"])
def test_logging_to_a_server_imports_only_the_client(
    server: SocketServer, tmp_path: Path, capture: str
) -> None:
    run_id = _log_in_a_child({"TRACKLOG_URI": server.url, "TRACKLOG_CAPTURE": capture}, tmp_path)
    store = Store(f"sqlite:///{tmp_path}/tracklog.db")
    try:
        _assert_logged_whole(store, run_id)
    finally:
        store.close()


# What only the one-shot captures (environment, git, packages) need: init() returns without
# them, and the run still gets what they found.
ONE_SHOT = (
    "tracklog.sdk.capture.environment",
    "tracklog.sdk.capture.git",
    "tracklog.sdk.capture.packages",
)


def test_init_leaves_the_one_shot_captures_to_a_thread(
    server: SocketServer, tmp_path: Path
) -> None:
    env = {"TRACKLOG_URI": server.url, "TRACKLOG_CAPTURE": "1"}
    out = _run_in_a_child(env, tmp_path, ONE_SHOT)
    assert out["threads"] == dict.fromkeys(ONE_SHOT, "tracklog-capture"), out["imported"]
    store = Store(f"sqlite:///{tmp_path}/tracklog.db")
    try:
        _assert_logged_whole(store, out["run"])
        run = store.get_run(out["run"])
        assert {"environment", "git", "packages", "capture"} <= set(run.metadata)
        assert "requirements.txt" in {f.path for f in store.list_files(run.id)}
    finally:
        store.close()


def test_logging_offline_imports_no_database_layer(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    env = {"TRACKLOG_URI": str(folder), "TRACKLOG_MODE": "offline"}
    run_id = _log_in_a_child(env, tmp_path, (*NOT_REMOTE, "httpx", "httpcore"))  # no client
    store = Store(f"sqlite:///{tmp_path}/synced.db")
    try:
        [journal] = find_journals(folder)
        sync_folder(store, journal)
        _assert_logged_whole(store, run_id)
    finally:
        store.close()


@pytest.mark.parametrize("capture", ["0", "1"], ids=["bare", "capture"])
def test_logging_to_a_local_store_imports_no_http_client(tmp_path: Path, capture: str) -> None:
    uri = f"sqlite:///{tmp_path}/tracklog.db"
    Store(uri).close()  # the schema is current: nothing to migrate
    env = {"TRACKLOG_URI": uri, "TRACKLOG_CAPTURE": capture}
    run_id = _log_in_a_child(env, tmp_path, ("httpx", "httpcore", "alembic"))
    store = Store(uri)
    try:
        _assert_logged_whole(store, run_id)
    finally:
        store.close()


def test_httpx_command_line_still_runs(tmp_path: Path) -> None:
    """The client leaves httpx's CLI unloaded, not broken: ``httpx.main`` still runs it."""
    code = "import tracklog.client.http, httpx; httpx.main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and "--method" in done.stdout
