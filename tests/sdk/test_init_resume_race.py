"""Two processes calling ``init(id=X, resume="allow")`` at once for a new id X: both resume the
one run, neither fails because the other created it first."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

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


def test_two_processes_starting_one_new_id_both_resume_it(
    store_uri: str, child_env: dict[str, str]
) -> None:
    watcher = Store(store_uri)
    watcher.get_or_create_project("race")
    env = {**child_env, "TRACKLOG_URI": store_uri, "TRACKLOG_CAPTURE": "0"}
    # Both find no run "shared-id" and then wait to insert it; one insert wins.
    with paused_writers(watcher, "runs") as wait_for:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", PROCESS, name],
                env=env,
                stderr=subprocess.PIPE,
                cwd=os.path.dirname(child_env["TRACKLOG_ARTIFACTS"]),
            )
            for name in ("first", "second")
        ]
        wait_for(2)
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()  # not AlreadyExistsError for the second
    [run] = watcher.search_runs(["race"])
    assert run.id == "shared-id" and run.status == "FINISHED"
    assert run.config == {"first": 1, "second": 1}
    assert {s.key for s in watcher.series_stats(run.id)} == {"first", "second"}
    watcher.close()
