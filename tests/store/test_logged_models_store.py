"""Logged models (MLflow 3) in the store on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from tracklog.errors import FilterSyntaxError, InvalidValueError, NotFoundError
from tracklog.store.mlflow.logged_models import LoggedModels, ModelMetric, ModelOutput, RunModels
from tracklog.store.tracking import Store


@pytest.fixture
def models(store: Store) -> LoggedModels:
    return LoggedModels(store)


def test_create_get_finalize_and_artifact_location(models: LoggedModels, store: Store) -> None:
    run = store.create_run("p")
    made = models.create(
        run.experiment_id,
        "net",
        model_type="torch",
        source_run_id=run.id,
        params={"lr": "0.1", "layers": 2},
        tags={"flavor": "pytorch"},
    )
    assert made.model_id.startswith("m-")
    assert made.status == "PENDING"
    assert made.artifact_location == (
        f"mlflow-artifacts:/{run.experiment_id}/models/{made.model_id}/artifacts"
    )
    assert (made.params, made.tags) == ({"lr": "0.1", "layers": "2"}, {"flavor": "pytorch"})
    assert models.finalize(made.model_id, "LOGGED_MODEL_READY").status == "READY"
    with pytest.raises(InvalidValueError, match="finalized as READY or UPLOAD_FAILED"):
        models.finalize(made.model_id, "PENDING")
    with pytest.raises(InvalidValueError, match="status must be one of"):
        models.finalize(made.model_id, "DONE")
    assert models.get(made.model_id).status == "READY"


def test_bad_references_are_not_found(models: LoggedModels, store: Store) -> None:
    with pytest.raises(NotFoundError, match="No Experiment with id=999 exists"):
        models.create(999, "net")
    run = store.create_run("p")
    with pytest.raises(NotFoundError, match="run nosuchrun does not exist"):
        models.create(run.experiment_id, "net", source_run_id="nosuchrun")
    with pytest.raises(NotFoundError, match="logged model m-x does not exist"):
        models.get("m-x")
    with pytest.raises(NotFoundError, match="logged model m-x"):
        models.log_outputs(run.id, [ModelOutput("m-x", 0)])


def test_params_are_immutable_tags_are_not(models: LoggedModels, store: Store) -> None:
    m = models.create(store.create_run("p").experiment_id, "net", params={"lr": "0.1"})
    models.log_params(m.model_id, {"lr": "0.1", "wd": "0"})
    with pytest.raises(InvalidValueError, match=r"param 'lr'.*cannot change"):
        models.log_params(m.model_id, {"lr": "0.2", "other": "1"})
    assert models.get(m.model_id).params == {"lr": "0.1", "wd": "0"}
    models.set_tags(m.model_id, {"a": "1", "b": "2"})
    assert models.set_tags(m.model_id, {"a": "3"}).tags == {"a": "3", "b": "2"}
    models.delete_tag(m.model_id, "b")
    with pytest.raises(NotFoundError, match="no tag 'b'"):
        models.delete_tag(m.model_id, "b")
    models.delete(m.model_id)
    with pytest.raises(NotFoundError):
        models.get(m.model_id)


def test_metrics_keep_nan_and_infinity(models: LoggedModels, store: Store) -> None:
    m = models.create(store.create_run("p").experiment_id, "net")
    models.log_metrics(
        m.model_id,
        [
            ModelMetric("acc", 0.5, 1, 10),
            ModelMetric("loss", math.nan, 1, 10),
            ModelMetric("loss", math.inf, 2, 11),
        ],
    )
    got = models.get(m.model_id).metrics
    assert [(x.key, x.step) for x in got] == [("acc", 1), ("loss", 1), ("loss", 2)]
    assert math.isnan(got[1].value) and got[2].value == math.inf
    with pytest.raises(InvalidValueError, match="metric 'acc': value must be a number"):
        models.log_metrics(m.model_id, [ModelMetric("acc", "high", 1, 1)])  # type: ignore[arg-type]


def test_search_filters_orders_and_pages(models: LoggedModels, store: Store) -> None:
    exp = store.create_run("p").experiment_id
    made = [models.create(exp, f"net{i}", params={"lr": str(i)}) for i in range(3)]
    models.set_tags(made[1].model_id, {"good": "yes"})
    models.log_metrics(made[2].model_id, [ModelMetric("acc", 0.9, 0, 0)])
    assert sorted(m.name for m in models.search([exp])) == ["net0", "net1", "net2"]
    by_name = [m.name for m in models.search([exp], order_by=[("name", True)])]
    assert by_name == ["net0", "net1", "net2"]
    assert [m.name for m in models.search([exp], "tags.good = 'yes'")] == ["net1"]
    assert [m.name for m in models.search([exp], "params.lr = '0'")] == ["net0"]
    assert [m.name for m in models.search([exp], "metrics.acc > 0.5")] == ["net2"]
    filtered = models.search([exp], "name LIKE 'net%' AND name != 'net1'", [("name", True)])
    assert [m.name for m in filtered] == ["net0", "net2"]
    page = models.search([exp], order_by=[("name", True)], limit=2)
    rest = models.search([exp], order_by=[("name", True)], offset=2, limit=2)
    assert [m.name for m in page + rest] == ["net0", "net1", "net2"]
    with pytest.raises(FilterSyntaxError, match="unknown entity type 'runs'"):
        models.search([exp], "runs.x = 1")
    with pytest.raises(InvalidValueError, match=r"params\.lr holds text: quote the value"):
        models.search([exp], "params.lr = 1")
    with pytest.raises(FilterSyntaxError, match="metrics compare with numbers"):
        models.search([exp], "metrics.acc > 'high'")
    with pytest.raises(InvalidValueError, match="at least one experiment"):
        models.search([])


def test_run_outputs_and_inputs(models: LoggedModels, store: Store) -> None:
    run, other, bare = (store.create_run("p") for _ in range(3))
    a = models.create(run.experiment_id, "a")
    b = models.create(run.experiment_id, "b")
    models.log_outputs(run.id, [ModelOutput(b.model_id, 5), ModelOutput(a.model_id, 1)])
    models.log_outputs(run.id, [ModelOutput(b.model_id, 7)])
    models.log_inputs(other.id, [b.model_id, a.model_id, b.model_id])
    models.log_inputs(other.id, [a.model_id])  # recorded once
    assert models.of_runs([run.id, other.id, bare.id]) == {
        run.id: RunModels([], [ModelOutput(a.model_id, 1), ModelOutput(b.model_id, 7)]),
        other.id: RunModels(sorted([a.model_id, b.model_id]), []),
        bare.id: RunModels(),
    }
    assert models.of_runs([]) == {}
    # More ids than PostgreSQL binds in one statement (65,535): read in batches.
    many = models.of_runs([*(f"no-run-{i}" for i in range(70_000)), other.id])
    assert len(many) == 70_001 and many[other.id] == RunModels(sorted([a.model_id, b.model_id]), [])


def test_run_inputs_refused_whole_on_a_missing_model_or_run(
    models: LoggedModels, store: Store
) -> None:
    run = store.create_run("p")
    a = models.create(run.experiment_id, "a")
    with pytest.raises(NotFoundError, match="logged model m-nope does not exist"):
        models.log_inputs(run.id, [a.model_id, "m-nope"])
    with pytest.raises(NotFoundError, match="run 0123456789abcdef0123456789abcdef does not exist"):
        models.log_inputs("0123456789abcdef0123456789abcdef", [a.model_id])
    with pytest.raises(InvalidValueError, match="logged model id must be a non-empty string"):
        models.log_inputs(run.id, [""])
    assert models.of_runs([run.id])[run.id] == RunModels()
