"""The distinct config, summary and tag keys of one project's runs, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tracklog.errors import InvalidValueError
from tracklog.store.project_keys import ProjectKeys, project_keys
from tracklog.store.tracking import Store


def test_keys_cover_every_run_of_the_project_and_only_it(store: Store) -> None:
    a = store.create_run("p", config={"optimizer": {"lr": 0.1, "name": "adam"}, "seed": 1})
    store.set_summary(a.id, {"acc": 0.5})
    store.set_tags(a.id, {"env": "dev"})
    b = store.create_run("p", config={"seed": 2, "batch": 32})
    store.set_summary(b.id, {"acc": 0.7, "loss": 0.3})
    gone = store.create_run("p", config={"old": 1})
    store.set_tags(gone.id, {"stale": "yes"})
    store.delete_run(gone.id)
    other = store.create_run("q", config={"elsewhere": 1})
    store.set_summary(other.id, {"q_only": 1.0})
    pid = store.project_id("p")

    assert project_keys(store.engine, pid) == ProjectKeys(
        params=["batch", "optimizer.lr", "optimizer.name", "seed"],
        metrics=["acc", "loss"],
        tags=["env"],
        # seed differs; batch and optimizer.* are missing from one of the two runs
        varying_params=["batch", "optimizer.lr", "optimizer.name", "seed"],
    )
    assert project_keys(store.engine, pid, "deleted") == ProjectKeys(["old"], [], ["stale"], [])
    every = project_keys(store.engine, pid, "all")
    assert "old" in every.params and every.tags == ["env", "stale"]


def test_varying_params_are_those_not_the_same_in_every_run(store: Store) -> None:
    for lr in (0.1, 0.01, 0.1):
        store.create_run("p", config={"lr": lr, "epochs": 10, "model": {"depth": 50}})
    store.create_run("p", config={"lr": 0.1, "epochs": 10, "model": {"depth": 50}, "late": 1})
    pid = store.project_id("p")
    keys = project_keys(store.engine, pid)
    assert keys.params == ["epochs", "late", "lr", "model.depth"]
    assert keys.varying_params == ["late", "lr"]
    single = store.get_or_create_project("single")
    store.create_run("single", config={"lr": 0.1})
    assert project_keys(store.engine, single).varying_params == []


def test_a_project_without_runs_has_no_keys(store: Store) -> None:
    pid = store.get_or_create_project("empty")
    assert project_keys(store.engine, pid) == ProjectKeys([], [], [], [])


def test_an_unknown_lifecycle_is_refused_by_name(store: Store) -> None:
    pid = store.get_or_create_project("p")
    with pytest.raises(InvalidValueError, match=r"lifecycle must be one of .* not 'gone'"):
        project_keys(store.engine, pid, "gone")
