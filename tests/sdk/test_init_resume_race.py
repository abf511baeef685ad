"""Two processes calling ``init(id=X, resume="allow")`` at once for a new id X: both resume the
one run, neither fails because the other created it first."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from inprocess import socket_server
from tracklog.store.tracking import Store
from writers_paused import paused_writers

PROCESS = textwrap.dedent(
    """
    import sys
    import tracklog

    me = sys.argv[1]
    run = tracklog.init(project="race", id="shared-id", resume="allow", config={me: 1})
    run.log({me: 1.0})
    run.finish()
    """
)


def _start_both(watcher: Store, env: dict[str, str], cwd: Path) -> list[str]:
    """Run two processes starting run "shared-id", both held at the store's writers once they
    have looked it up (no such run): one insert wins. Returns their stderr."""
    watcher.get_or_create_project("race")
    env = {**env, "TRACKLOG_CAPTURE": "0"}
    with paused_writers(watcher, "runs") as wait_for:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", PROCESS, name], env=env, stderr=subprocess.PIPE, cwd=cwd
            )
            for name in ("first", "second")
        ]
        wait_for(2)
    errors = []
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()  # not AlreadyExistsError for the second
        errors.append(err.decode())
    [run] = watcher.search_runs(["race"])
    assert run.id == "shared-id" and run.status == "FINISHED"
    assert {s.key for s in watcher.series_stats(run.id)} == {"first", "second"}
    return errors


def test_two_processes_starting_one_new_id_both_resume_it(
    store_uri: str, child_env: dict[str, str], tmp_path: Path
) -> None:
    watcher = Store(store_uri)
    _start_both(watcher, {**child_env, "TRACKLOG_URI": store_uri}, tmp_path)
    assert watcher.get_run("shared-id").config == {"first": 1, "second": 1}
    watcher.close()


@pytest.mark.postgres  # SQLite's writers in one server queue where no test can see
def test_two_processes_starting_one_new_id_on_a_server_both_resume_it(
    postgres_uri_factory: Callable[[], str], child_env: dict[str, str], tmp_path: Path
) -> None:
    uri = postgres_uri_factory()
    watcher = Store(uri)
    try:
        with socket_server(uri, tmp_path / "artifacts") as server:
            env = {**child_env, "TRACKLOG_URI": server.url, "TRACKLOG_FINISH_TIMEOUT": "60"}
            for err in _start_both(watcher, env, tmp_path):
                assert "refused" not in err, err  # the second create_run is a resume, not a 409
    finally:
        watcher.close()
