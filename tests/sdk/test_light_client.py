"""A script logging to a server imports no SQLAlchemy: the client, journal, writer and wire
format stand on the dependency-free core, not on the store's database layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from inprocess import SocketServer, socket_server
from tracklog.sdk.sync import find_journals, sync_folder
from tracklog.store.tracking import Store

# The child notes the stack of the first import of SQLAlchemy, so a failure names its importer.
SCRIPT = textwrap.dedent(
    """
    import json, sys, traceback

    class Watch:
        stack = None

        def find_spec(self, name, path=None, target=None):
            if name == "sqlalchemy" and Watch.stack is None:
                frames = traceback.extract_stack()[:-1]
                own = [f for f in frames if not f.filename.startswith("<frozen")]
                Watch.stack = "".join(traceback.format_list(own))
            return None

    sys.meta_path.insert(0, Watch())

    import tracklog

    run = tracklog.init(project="light", config={"lr": 0.1, "opt": {"b1": 0.9}})
    for step in range(100):
        run.log({"loss": 1 / (step + 1), "acc": step / 100})
    run.track(0.5, name="acc", context={"subset": "val"})
    run.summary["best"] = 0.9
    run.finish()
    print(json.dumps({"run": run.id, "sqlalchemy": Watch.stack}))
    """
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SocketServer]:
    # The client is the subject here; the server's database does not matter, so SQLite only.
    with socket_server(f"sqlite:///{tmp_path}/tracklog.db", tmp_path / "artifacts") as server:
        yield server


def _log_in_a_child(env: dict[str, str], cwd: Path) -> str:
    """Run SCRIPT with ``env``; fail naming the importer if it loaded SQLAlchemy, else return
    the id of the run it logged."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if out["sqlalchemy"]:
        pytest.fail(f"SQLAlchemy was imported from:\n{out['sqlalchemy']}")
    return out["run"]


def _assert_logged_whole(store: Store, run_id: str) -> None:
    """The light path is the real one: the run arrived whole."""
    run = store.get_run(run_id)
    assert run.status == "FINISHED" and run.config == {"lr": 0.1, "opt": {"b1": 0.9}}
    stats = {(s.key, s.context): s.count for s in store.series_stats(run.id)}
    assert stats == {("loss", ""): 100, ("acc", ""): 100, ("acc", '{"subset":"val"}'): 1}
    assert run.summary["best"] == 0.9


@pytest.mark.parametrize("capture", ["0", "1"], ids=["bare", "capture"])
def test_logging_to_a_server_imports_no_sqlalchemy(
    server: SocketServer, tmp_path: Path, capture: str
) -> None:
    run_id = _log_in_a_child({"TRACKLOG_URI": server.url, "TRACKLOG_CAPTURE": capture}, tmp_path)
    store = Store(f"sqlite:///{tmp_path}/tracklog.db")
    try:
        _assert_logged_whole(store, run_id)
    finally:
        store.close()


def test_logging_offline_imports_no_sqlalchemy(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    run_id = _log_in_a_child({"TRACKLOG_URI": str(folder), "TRACKLOG_MODE": "offline"}, tmp_path)
    store = Store(f"sqlite:///{tmp_path}/synced.db")
    try:
        [journal] = find_journals(folder)
        sync_folder(store, journal)
        _assert_logged_whole(store, run_id)
    finally:
        store.close()
