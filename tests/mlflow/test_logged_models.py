"""MLflow 3 logged models and the registry walk-through, with the real ``mlflow`` client and
real models against a real ``tracklog server``."""

from __future__ import annotations

import math

import httpx
import numpy as np
import pytest

from inprocess import SocketServer

# Stages are deprecated in MLflow but still what many teams use; the client warns on each call.
pytestmark = pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0:FutureWarning")
# Listing requirements by hand skips the client's slow inference of them (it imports the model).
TORCH_REQUIREMENTS = ["torch==2.13.0"]


def test_pytorch_walk_through_register_promote_alias_and_load(
    mlflow_uri: str, tracklog_server: SocketServer
) -> None:
    import mlflow
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    example = torch.randn(1, 4)
    mlflow.set_experiment("sentiment")
    with mlflow.start_run() as run:
        mlflow.log_param("lr", "0.01")
        info = mlflow.pytorch.log_model(
            model,
            name="model",
            registered_model_name="sentiment-classifier",
            input_example=example.numpy(),
            pip_requirements=TORCH_REQUIREMENTS,
        )
    client = mlflow.MlflowClient()
    logged = client.get_logged_model(info.model_id)
    assert logged.status.to_proto() == logged.status.READY.to_proto()
    assert logged.source_run_id == run.info.run_id
    assert logged.params == {"lr": "0.01"}
    assert logged.artifact_location.endswith(f"/models/{info.model_id}/artifacts")
    # The files landed under the artifact root where the logged model's location says.
    exp_id = logged.experiment_id
    model_dir = tracklog_server.artifacts / exp_id / "models" / info.model_id / "artifacts"
    assert (model_dir / "MLmodel").is_file()

    version = client.get_model_version("sentiment-classifier", "1")
    assert (version.run_id, version.status, version.source) == (
        run.info.run_id,
        "READY",
        info.model_uri,
    )
    # The client drops a version's model_id (its entity has no field for it yet); the wire has it.
    answer = httpx.get(
        f"{mlflow_uri}/api/2.0/mlflow/model-versions/get",
        params={"name": "sentiment-classifier", "version": "1"},
    )
    assert answer.json()["model_version"]["model_id"] == info.model_id
    assert client.get_model_version_download_uri("sentiment-classifier", "1") == (
        logged.artifact_location
    )
    client.transition_model_version_stage("sentiment-classifier", "1", "Production")
    latest = client.get_latest_versions("sentiment-classifier", stages=["Production"])
    assert [v.version for v in latest] == ["1"]
    client.set_registered_model_alias("sentiment-classifier", "champion", "1")

    want = model(example)
    for uri in (
        "models:/sentiment-classifier/Production",
        "models:/sentiment-classifier/1",
        "models:/sentiment-classifier@champion",
        info.model_uri,
    ):
        loaded = mlflow.pytorch.load_model(uri)
        assert torch.allclose(loaded(example), want), uri


def test_sklearn_log_model_registers_new_versions(mlflow_uri: str) -> None:
    import mlflow
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]])
    y = np.array([1, 0, 0, 1])
    mlflow.set_experiment("sklearn-models")
    for c in (1.0, 0.5):
        with mlflow.start_run() as run:
            clf = LogisticRegression(C=c).fit(x, y)
            mlflow.sklearn.log_model(
                clf,
                name="clf",
                registered_model_name="churn",
                pip_requirements=["scikit-learn"],
            )
    client = mlflow.MlflowClient()
    versions = client.search_model_versions("name = 'churn'")
    assert [v.version for v in versions] == ["2", "1"]
    loaded = mlflow.sklearn.load_model("models:/churn/2")
    assert loaded.predict(x).tolist() == clf.predict(x).tolist()
    pyfunc = mlflow.pyfunc.load_model("models:/churn/1")
    assert pyfunc.predict(x).shape == (4,)
    # A runs:/ URI finds the run's logged model by name (its files are not under the run).
    by_run = mlflow.register_model(f"runs:/{run.info.run_id}/clf", "churn-by-run")
    assert client.get_model_version_download_uri("churn-by-run", by_run.version) == (
        client.get_model_version_download_uri("churn", "2")
    )


def test_logged_model_client_calls(mlflow_uri: str) -> None:
    import mlflow
    from mlflow.entities import LoggedModelStatus

    client = mlflow.MlflowClient()
    exp_id = client.create_experiment("logged-model-calls")
    made = client.create_logged_model(
        exp_id, name="ranker", model_type="agent", params={"depth": "3"}, tags={"a": "1"}
    )
    assert made.status == LoggedModelStatus.PENDING
    client.set_logged_model_tags(made.model_id, {"b": "2"})
    client.delete_logged_model_tag(made.model_id, "a")
    client.log_model_params(made.model_id, {"width": "64"})
    done = client.finalize_logged_model(made.model_id, LoggedModelStatus.READY)
    assert done.status == LoggedModelStatus.READY
    assert (done.tags, done.params) == ({"b": "2"}, {"depth": "3", "width": "64"})
    other = client.create_logged_model(exp_id, name="baseline")

    found = mlflow.search_logged_models(
        experiment_ids=[exp_id], filter_string="name = 'ranker'", output_format="list"
    )
    assert [m.model_id for m in found] == [made.model_id]
    by_param = client.search_logged_models([exp_id], filter_string="params.depth = '3'")
    assert [m.name for m in by_param] == ["ranker"]
    ordered = client.search_logged_models(
        [exp_id], order_by=[{"field_name": "name", "ascending": True}]
    )
    assert [m.name for m in ordered] == ["baseline", "ranker"]
    first = client.search_logged_models([exp_id], max_results=1)
    assert len(first) == 1 and first.token
    client.delete_logged_model(other.model_id)
    assert [m.name for m in client.search_logged_models([exp_id])] == ["ranker"]


def test_logged_model_errors(mlflow_uri: str) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    with pytest.raises(MlflowException, match="logged model m-nope does not exist") as missing:
        client.get_logged_model("m-nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException, match="No Experiment with id=4242 exists"):
        client.create_logged_model("4242", name="x")
    exp_id = client.create_experiment("logged-model-errors")
    made = client.create_logged_model(exp_id, name="x", params={"lr": "1"})
    with pytest.raises(MlflowException, match="cannot change") as changed:
        client.log_model_params(made.model_id, {"lr": "2"})
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="unknown entity type 'runs'"):
        client.search_logged_models([exp_id], filter_string="runs.x = '1'")
    api = f"{mlflow_uri}/api/2.0/mlflow"
    answer = httpx.patch(f"{api}/logged-models/{made.model_id}", json={"status": "DONE"})
    assert answer.status_code == 400 and "status must be one of" in answer.json()["message"]
    answer = httpx.post(f"{api}/runs/outputs", json={"run_id": "nope", "models": [{"x": 1}]})
    assert answer.status_code == 400 and "models[0]" in answer.json()["message"]
    assert client.get_logged_model(made.model_id).params == {"lr": "1"}


def test_run_outputs_inputs_and_model_metrics(mlflow_uri: str) -> None:
    import mlflow
    from mlflow.entities import LoggedModelInput, Metric

    client = mlflow.MlflowClient()
    exp_id = client.create_experiment("outputs")
    run = client.create_run(exp_id)
    run_id = run.info.run_id
    made = client.create_logged_model(exp_id, name="m", source_run_id=run_id)
    used = client.create_logged_model(exp_id, name="base")
    api = f"{mlflow_uri}/api/2.0/mlflow"
    body = {"run_id": run_id, "models": [{"model_id": made.model_id, "step": 3}]}
    httpx.post(f"{api}/runs/outputs", json=body).raise_for_status()
    client.log_inputs(run_id, models=[LoggedModelInput(used.model_id)])
    client.log_metric(
        run_id, "acc", 0.5, step=1, model_id=made.model_id, dataset_name="eval", dataset_digest="d1"
    )
    client.log_metric(run_id, "loss", math.nan, step=1, model_id=made.model_id)
    client.log_batch(run_id, metrics=[Metric("acc", math.inf, 7, 2, model_id=made.model_id)])

    got = client.get_run(run_id)
    assert [(o.model_id, o.step) for o in got.outputs.model_outputs] == [(made.model_id, 3)]
    assert [i.model_id for i in got.inputs.model_inputs] == [used.model_id]
    assert [m.value for m in client.get_metric_history(run_id, "acc")] == [0.5, math.inf]
    # Non-finite metric values travel as MLflow's strings and come back as floats.
    model_metrics = client.get_logged_model(made.model_id).metrics
    by_key = {(m.key, m.step): m for m in model_metrics}
    assert by_key[("acc", 1)].value == 0.5 and by_key[("acc", 2)].value == math.inf
    assert (by_key[("acc", 1)].run_id, by_key[("acc", 1)].dataset_name) == (run_id, "eval")
    assert math.isnan(by_key[("loss", 1)].value)
    (found,) = client.search_logged_models([exp_id], filter_string="metrics.acc > 0.1")
    assert found.model_id == made.model_id
    (listed,) = client.search_runs([exp_id])
    assert [o.model_id for o in listed.outputs.model_outputs] == [made.model_id]


def test_fluent_metrics_of_an_active_model_and_log_model_copies(mlflow_uri: str) -> None:
    """A metric logged with a model_id makes the model an input of the run; ``log_model``
    copies the run's metrics of its step to the new model, and the run keeps one point each."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]])
    y = np.array([1, 0, 0, 1])
    mlflow.set_experiment("model-metrics")
    client = mlflow.MlflowClient()
    base = client.create_logged_model(mlflow.get_experiment_by_name("model-metrics").experiment_id)
    with mlflow.start_run() as run:
        # At another step than log_model's: the run's history does not say which points had
        # a model_id, so log_model would copy this one to the new model too.
        mlflow.log_metric("base_acc", 0.7, step=5, model_id=base.model_id)
        mlflow.log_metric("acc", 0.75, step=0)
        mlflow.log_metric("acc", 0.9, step=1)
        info = mlflow.sklearn.log_model(
            LogisticRegression().fit(x, y), name="clf", pip_requirements=["scikit-learn"]
        )
    run_id = run.info.run_id
    got = client.get_run(run_id)
    assert [i.model_id for i in got.inputs.model_inputs] == [base.model_id]
    assert [o.model_id for o in got.outputs.model_outputs] == [info.model_id]
    assert [(m.key, m.value) for m in client.get_logged_model(base.model_id).metrics] == [
        ("base_acc", 0.7)
    ]
    copied = client.get_logged_model(info.model_id).metrics
    assert [(m.key, m.step, m.value, m.run_id) for m in copied] == [("acc", 0, 0.75, run_id)]
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "acc")] == [
        (0, 0.75),
        (1, 0.9),
    ]


def test_model_metric_and_input_errors_write_nothing(mlflow_uri: str) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(MlflowException, match="logged model m-nope does not exist") as missing:
        client.log_metric(run_id, "acc", 1.0, model_id="m-nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_run(run_id).data.metrics == {}
    api = f"{mlflow_uri}/api/2.0/mlflow"
    dataset = {"name": "d", "digest": "1", "source_type": "local", "source": "/d"}
    for models, code, text in (
        ([{"model_id": 5}], 400, "models[0] needs a non-empty string 'model_id'"),
        ([{"model_id": "m-nope"}], 404, "logged model m-nope does not exist"),
    ):
        body = {"run_id": run_id, "datasets": [{"dataset": dataset}], "models": models}
        answer = httpx.post(f"{api}/runs/log-inputs", json=body)
        assert answer.status_code == code and text in answer.json()["message"]
    got = client.get_run(run_id)
    assert (got.inputs.dataset_inputs, got.inputs.model_inputs) == ([], [])
    answer = httpx.post(
        f"{api}/runs/log-metric",
        json={"run_id": run_id, "key": "a", "value": 1, "model_id": ["x"]},
    )
    assert answer.status_code == 400 and "'model_id' must be given once" in answer.json()["message"]


def test_list_artifacts_of_a_folder(mlflow_uri: str) -> None:
    """The client asks logged-models/search for a model of the folder's name first."""
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_dict({"a": 1}, "some/folder/x.json")
    listed = mlflow.MlflowClient().list_artifacts(run.info.run_id, "some/folder")
    assert [(f.path, f.is_dir) for f in listed] == [("some/folder/x.json", False)]
