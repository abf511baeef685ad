"""Several processes on one store: concurrent logging and concurrent first opens."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracklog.store.engine import LOCK_SUFFIX, _write_lock
from tracklog.store.tracking import Store

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from tracklog.store.records import SeriesPoints
    from tracklog.store.tracking import Store

    store = Store(sys.argv[1])
    run = store.create_run("shared", name=sys.argv[2])
    for i in range(40):
        steps = np.arange(i * 50, (i + 1) * 50, dtype=np.int64)
        pts = SeriesPoints("loss", "", steps, steps.astype(float), steps.copy())
        store.append_metrics(run.id, [pts])
        store.set_config(run.id, {f"k{i}": i})
    store.finish_run(run.id, "FINISHED")
    """
)


def _spawn(uri: str, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, uri, name], env=env, stderr=subprocess.PIPE
    )


def test_four_processes_log_into_one_store_at_once(store_uri: str, child_env: dict) -> None:
    procs = [_spawn(store_uri, f"w{i}", child_env) for i in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()
    store = Store(store_uri)
    runs = store.search_runs(["shared"])
    assert sorted(r.name for r in runs) == ["w0", "w1", "w2", "w3"]
    for r in runs:
        assert r.status == "FINISHED" and len(r.config) == 40
        assert store.read_series(r.id, "loss")[0].tolist() == list(range(2000))


def test_two_processes_creating_a_new_store_at_once(store_uri: str, child_env: dict) -> None:
    code = "import sys; from tracklog.store.tracking import Store; Store(sys.argv[1])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, store_uri], env=child_env, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    store = Store(store_uri)
    run = store.create_run("p")
    assert store.get_run(run.id).status == "RUNNING"


HOLDER = textwrap.dedent(
    """
    import sys
    from tracklog.store.engine import writing
    from tracklog.store.tracking import Store

    store = Store(sys.argv[1])
    with writing(store.engine):
        print("held", flush=True)
        sys.stdin.readline()
    """
)


def test_sqlite_writers_of_all_processes_take_turns_at_one_file_lock(
    tmp_path: Path, child_env: dict
) -> None:
    uri = f"sqlite:///{tmp_path / 'w.db'}"
    Store(uri).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, uri],
        env=child_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"  # type: ignore[union-attr]
        lock_file = tmp_path / ("w.db" + LOCK_SUFFIX)
        fd = os.open(lock_file, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            holder.communicate("go\n", timeout=60)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released with the transaction
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert holder.returncode == 0
    # This process writes as usual afterwards, and its lock is re-entrant within a thread.
    store = Store(uri)
    lock = _write_lock(store.engine)
    with lock, lock:
        pass
    run = store.create_run("p", name="after")
    assert store.get_run(run.id).name == "after"
