"""Runs, projects, tags and lifecycle in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tracklog.errors import (
    AlreadyExistsError,
    InvalidTypeError,
    InvalidValueError,
    NotFoundError,
    TracklogError,
)
from tracklog.store.tracking import Store


def test_create_get_finish_round_trip(store: Store) -> None:
    run = store.create_run("sentiment", name="bert-base", group="g1", job_type="train", notes="hi")
    assert run.status == "RUNNING" and run.project == "sentiment" and run.name == "bert-base"
    store.finish_run(run.id, "FINISHED", exit_code=0)
    again = store.get_run(run.id)
    assert again.status == "FINISHED" and again.exit_code == 0
    assert again.end_time is not None and again.end_time >= again.start_time
    assert (again.group, again.job_type, again.notes) == ("g1", "train", "hi")


def test_projects_count_runs(store: Store) -> None:
    for _ in range(3):
        store.create_run("a")
    store.create_run("b")
    counts = {p.name: p.run_count for p in store.projects()}
    assert counts == {"Default": 0, "a": 3, "b": 1}  # MLflow's experiment 0 is always there
    gone = store.create_run("b")
    store.delete_run(gone.id)  # a deleted run is not counted
    (b,) = store.projects("b")
    assert (b.name, b.run_count) == ("b", 1) and b.last_activity is not None
    assert store.projects("nope") == []


def test_unknown_run_is_named(store: Store) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        store.get_run("nope")
    with pytest.raises(NotFoundError, match="nope"):
        store.set_tags("nope", {"a": "b"})


def test_duplicate_run_id_rejected_and_first_kept(store: Store) -> None:
    store.create_run("p", run_id="abc123", name="first")
    with pytest.raises(AlreadyExistsError, match="abc123"):
        store.create_run("p", run_id="abc123", name="second")
    assert store.get_run("abc123").name == "first"


@pytest.mark.parametrize(
    ("project", "name", "message"),
    [
        ("", "x", "project name"),
        ("p", "   ", "run name"),
        ("p" * 300, "x", "limit is 256"),
        ("p", "bad\x00name", "control character"),
        ("p\ud800", "x", "surrogate"),  # no UTF-8 form: no database can store it
        ("p", 42, "must be a string"),
    ],
)
def test_bad_names_rejected(store: Store, project: object, name: object, message: str) -> None:
    with pytest.raises((InvalidValueError, InvalidTypeError), match=message):
        store.create_run(project, name=name)  # type: ignore[arg-type]
    assert store.search_runs() == []


def test_tags_labels_and_bad_tag_values(store: Store) -> None:
    run = store.create_run("p")
    store.set_tags(run.id, {"team": "nlp", "priority": 3})
    store.add_labels(run.id, ["bert", "baseline"])
    with pytest.raises(InvalidValueError, match="tag 'big'"):
        store.set_tags(run.id, {"big": "x" * 9000})
    with pytest.raises(InvalidValueError, match="tag key"):
        store.set_tags(run.id, {" padded": "x"})
    with pytest.raises(InvalidValueError, match="tag 'odd': value contains '\\\\udc00'"):
        store.set_tags(run.id, {"odd": "a\udc00"})
    store.delete_tag(run.id, "priority")
    got = store.get_run(run.id)
    assert got.tags == {"team": "nlp"}
    assert got.labels == ["baseline", "bert"]
    with pytest.raises(NotFoundError, match="priority"):
        store.delete_tag(run.id, "priority")


def test_delete_and_restore(store: Store) -> None:
    keep, trash = store.create_run("p"), store.create_run("p")
    store.delete_run(trash.id)
    assert [r.id for r in store.search_runs(["p"])] == [keep.id]
    assert {r.id for r in store.search_runs(["p"], lifecycle="deleted")} == {trash.id}
    store.restore_run(trash.id)
    assert {r.id for r in store.search_runs(["p"])} == {keep.id, trash.id}


def test_runs_of_dead_processes_are_marked_failed(store: Store) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = store.create_run("p", pid=proc.pid)
    alive = store.create_run("p")
    assert store.mark_crashed_runs() == [dead.id]
    crashed = store.get_run(dead.id)
    assert crashed.status == "FAILED" and "crashed" in (crashed.error or "")
    assert store.get_run(alive.id).status == "RUNNING"


def test_finish_needs_a_final_status(store: Store) -> None:
    run = store.create_run("p")
    with pytest.raises(InvalidValueError, match="status"):
        store.finish_run(run.id, "DONE")
    with pytest.raises(InvalidValueError, match="one of FINISHED, FAILED, KILLED"):
        store.finish_run(run.id, "RUNNING")
    assert store.get_run(run.id).status == "RUNNING"


def test_a_reused_pid_does_not_keep_a_dead_run_alive(store: Store) -> None:
    import os

    from tracklog.store.liveness import process_started

    mine = process_started(os.getpid())
    assert mine is not None
    impostor = store.create_run("p", pid=os.getpid(), pid_started=mine - 60_000)
    owner = store.create_run("p", pid=os.getpid(), pid_started=mine)
    assert store.mark_crashed_runs() == [impostor.id]
    assert store.get_run(owner.id).status == "RUNNING"


def test_writes_to_a_run_in_the_trash_are_refused(store: Store) -> None:
    import numpy as np

    from tracklog.errors import RunDeletedError
    from tracklog.store.records import SeriesPoints

    run = store.create_run("p", config={"lr": 0.1})
    store.delete_run(run.id)
    one = SeriesPoints("x", "", np.array([0]), np.array([1.0]), np.array([1]))
    for write in (
        lambda: store.append_metrics(run.id, [one]),
        lambda: store.set_config(run.id, {"lr": 0.2}),
        lambda: store.set_tags(run.id, {"a": "b"}),
        lambda: store.set_summary(run.id, {"a": 1}),
    ):
        with pytest.raises(RunDeletedError, match="trash"):
            write()
    store.restore_run(run.id)
    store.append_metrics(run.id, [one])
    assert store.get_run(run.id).config == {"lr": 0.1}
    assert store.read_series(run.id, "x")[1].tolist() == [1.0]


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("pid", 2**40, "pid"),
        ("pid_started", 2**70, "pid_started"),
        ("start_time", -(2**70), "start_time"),
        ("start_time", "today", "start_time"),
        ("config", [1, 2], "config"),
    ],
)
def test_create_run_refuses_what_the_columns_cannot_hold(
    store: Store, field: str, value: object, named: str
) -> None:
    """Each field is checked before the database sees it, so SQLite (which would store it)
    and PostgreSQL (which would fail on its column) both refuse it, naming the field."""
    with pytest.raises(TracklogError, match=named):
        store.create_run("p", **{field: value})  # type: ignore[arg-type]
    assert store.search_runs(lifecycle="all") == []
