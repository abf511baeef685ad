"""The background writer: one flusher thread writes every open run of a process."""

from __future__ import annotations

import os
import time

import tracklog
from tracklog.sdk import stores, writer
from tracklog.store.tracking import Store


def _wait_until_written(run: tracklog.Run) -> None:
    """Wait (without finishing the run) until the flusher has written the run's buffer."""
    deadline = time.monotonic() + 30
    while run._writer.rows or run._writer.pending:
        assert time.monotonic() < deadline, "the flusher did not write the buffered rows"
        time.sleep(0.05)


def test_open_runs_are_all_written_in_the_background(local_store: str) -> None:
    a, b = tracklog.init(project="p"), tracklog.init(project="p")
    for i in range(5):
        a.log({"x": float(i)})
        b.log({"y": float(-i)})
    assert a._writer.is_alive() and b._writer.is_alive()
    _wait_until_written(a)
    _wait_until_written(b)
    store = Store(local_store)  # another reader sees the points before finish()
    assert store.read_series(a.id, "x")[1].tolist() == [0, 1, 2, 3, 4]
    assert store.read_series(b.id, "y")[1].tolist() == [0, -1, -2, -3, -4]
    assert store.get_run(a.id).status == "RUNNING"
    a.finish()
    assert not a._writer.is_alive() and b._writer.is_alive()
    b.log({"y": 9.0})
    b.finish()
    assert store.read_series(b.id, "y")[1].tolist() == [0, -1, -2, -3, -4, 9]
    store.close()


def test_a_forked_child_does_not_write_the_parents_buffered_rows(local_store: str) -> None:
    parent = tracklog.init(project="p")
    parent.log({"x": 1.0})  # still buffered when the process forks
    pid = os.fork()
    if pid == 0:  # the child logs a run of its own and leaves without cleanup
        code = 1
        try:
            for store in stores.local_stores.values():  # SQLAlchemy's advice for a forked child
                store.engine.dispose(close=False)
            with tracklog.init(project="p", name="child") as child:
                child.log({"c": 2.0})
                _wait_until_written(child)  # the child has a flusher of its own
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    parent.finish()
    api = tracklog.Api()
    assert api.run(parent.id).series("x").values.tolist() == [1.0]
    child_run = api.runs("p", filter="attributes.name = 'child'")[0]
    assert child_run.series("c").values.tolist() == [2.0]


def test_the_flusher_ends_when_no_run_is_open(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"x": 1.0})
    deadline = time.monotonic() + 30
    while writer._flusher._thread is not None:
        assert time.monotonic() < deadline, "the flusher thread outlived the last run"
        time.sleep(0.05)
    with tracklog.init(project="p") as run:  # the next run starts a new one
        assert run._writer.is_alive()
        run.log({"x": 2.0})
    assert tracklog.Api().run(run.id).series("x").values.tolist() == [2.0]
