"""Projects as MLflow experiments, immutable params and unowned runs, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tracklog.errors import (
    AlreadyExistsError,
    FilterSyntaxError,
    InvalidValueError,
    NotFoundError,
    ProjectDeletedError,
)
from tracklog.store.mlflow import MlflowStore
from tracklog.store.mlflow.experiments import Experiments
from tracklog.store.records import DatasetInput
from tracklog.store.tracking import Store


@pytest.fixture
def experiments(store: Store) -> Experiments:
    return MlflowStore(store).experiments


def test_default_experiment_exists_and_cannot_be_deleted(experiments: Experiments) -> None:
    default = experiments.get(0)
    assert (default.name, default.lifecycle_stage) == ("Default", "active")
    with pytest.raises(InvalidValueError, match="default experiment"):
        experiments.set_lifecycle(0, "deleted")


def test_create_search_rename_and_tags(experiments: Experiments) -> None:
    a = experiments.create("vision/a", {"team": "cv"})
    b = experiments.create("vision/b", {"team": "nlp"})
    with pytest.raises(AlreadyExistsError, match="vision/a"):
        experiments.create("vision/a", {})
    found = experiments.search("name LIKE 'vision/%' and tags.team = 'nlp'")
    assert [e.id for e in found] == [b]
    ordered = experiments.search("name LIKE 'vision/%'", ["name DESC"], limit=1)
    assert [e.name for e in ordered] == ["vision/b"]
    page2 = experiments.search("name LIKE 'vision/%'", ["name"], offset=1, limit=1)
    assert [e.name for e in page2] == ["vision/b"]
    with pytest.raises(FilterSyntaxError, match="bogus"):
        experiments.search("bogus = 'x'")
    with pytest.raises(InvalidValueError, match="not metrics"):
        experiments.search("metrics.acc > 1")
    with pytest.raises(AlreadyExistsError):
        experiments.rename(a, "vision/b")
    experiments.rename(a, "vision/a2")
    experiments.set_tag(a, "phase", "1")
    experiments.delete_tag(a, "team")
    assert experiments.get_by_name("vision/a2").tags == {"phase": "1"}
    with pytest.raises(NotFoundError, match="team"):
        experiments.delete_tag(a, "team")
    with pytest.raises(NotFoundError, match="12345"):
        experiments.get(12345)


def test_trash_takes_the_runs_along(store: Store, experiments: Experiments) -> None:
    exp = experiments.create("trash", {})
    run = store.create_run("trash", owned=False)
    experiments.set_lifecycle(exp, "deleted")
    assert store.get_run(run.id).lifecycle_stage == "deleted"
    # One rule, one error for every write into an experiment in the trash (the MLflow
    # routes word it as MLflow does, from its project_id).
    for write in (
        lambda: experiments.set_tag(exp, "k", "v"),
        lambda: store.create_run("trash", owned=False),
        lambda: MlflowStore(store).logged_models.create(exp, "net"),
    ):
        with pytest.raises(ProjectDeletedError, match="project 'trash' is in the trash") as no:
            write()
        assert no.value.project_id == exp
    experiments.set_lifecycle(exp, "active")
    assert store.get_run(run.id).lifecycle_stage == "active"


def test_immutable_params_keep_the_old_value(store: Store) -> None:
    run = store.create_run("p")
    store.set_config(run.id, {"lr": "0.1"}, immutable=True)
    store.set_config(run.id, {"lr": "0.1", "bs": "8"}, immutable=True)
    with pytest.raises(InvalidValueError, match=r"lr.*0\.1.*0\.2"):
        store.set_config(run.id, {"lr": "0.2", "new": "x"}, immutable=True)
    assert store.get_run(run.id).config == {"lr": "0.1", "bs": "8"}


def test_unowned_runs_are_never_marked_crashed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.store import tracking

    unowned = store.create_run("sweep", owned=False)
    gone = store.create_run("sweep", pid=2**22 + 12345)  # no such process
    monkeypatch.setattr(tracking, "HEARTBEAT_TIMEOUT_MS", -1)  # every heartbeat is stale
    assert store.mark_crashed_runs() == [gone.id]
    assert store.get_run(unowned.id).status == "RUNNING"
    store.resume_run(gone.id, owned=False)
    assert store.mark_crashed_runs() == []


def test_dataset_inputs_logged_once(store: Store) -> None:
    run = store.create_run("data")
    train = DatasetInput("train", "abc123", "local", '{"uri": "/d"}', None, None, {"ctx": "t"})
    inputs = MlflowStore(store).inputs
    inputs.log(run.id, [train, train])
    inputs.log(run.id, [train])
    assert inputs.of_runs([run.id]) == {run.id: [train]}
    # More ids than PostgreSQL binds in one statement (65,535): read in batches.
    many = inputs.of_runs([*(f"no-run-{i}" for i in range(70_000)), run.id])
    assert len(many) == 70_001 and many[run.id] == [train]
    with pytest.raises(InvalidValueError, match="digest"):
        inputs.log(run.id, [DatasetInput("x", "d" * 37, "local", "s", None, None)])
    with pytest.raises(NotFoundError):
        inputs.log("nope", [train])
