"""Errors reach the mlflow client as MLflow's {error_code, message}, never as a 5xx."""

from __future__ import annotations

import httpx
import pytest


def _error(call: object) -> tuple[str, str]:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as info:
        call()  # type: ignore[operator]
    return info.value.error_code, info.value.message


def test_missing_run_and_experiment(mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    code, message = _error(lambda: client.get_run("0" * 32))
    assert code == "RESOURCE_DOES_NOT_EXIST" and "0" * 32 in message
    code, message = _error(lambda: client.get_experiment("987654"))
    assert code == "RESOURCE_DOES_NOT_EXIST" and "987654" in message
    code, _ = _error(lambda: client.get_experiment("abc"))
    assert code == "INVALID_PARAMETER_VALUE"
    code, _ = _error(lambda: client.log_metric("f" * 32, "x", 1.0))
    assert code == "RESOURCE_DOES_NOT_EXIST"


def test_duplicate_experiment(mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    client.create_experiment("twice")
    code, message = _error(lambda: client.create_experiment("twice"))
    assert code == "RESOURCE_ALREADY_EXISTS" and "twice" in message


def test_changed_param_is_refused_and_the_old_value_kept(mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run("0")
    client.log_param(run.info.run_id, "lr", "0.1")
    client.log_param(run.info.run_id, "lr", "0.1")  # the same value again is fine
    code, message = _error(lambda: client.log_param(run.info.run_id, "lr", "0.2"))
    assert code == "INVALID_PARAMETER_VALUE"
    assert "lr" in message and "0.1" in message and "0.2" in message
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_oversize_batch_is_refused_whole(mlflow_uri: str) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient()
    run = client.create_run("0")
    store = client._tracking_client.store  # the public log_batch splits big batches itself
    metrics = [Metric(f"m{i}", 1.0, 0, 0) for i in range(1001)]
    code, message = _error(lambda: store.log_batch(run.info.run_id, metrics, [], []))
    assert code == "INVALID_PARAMETER_VALUE" and "1000 metrics" in message
    params = [Param(f"p{i}", "v") for i in range(101)]
    code, message = _error(lambda: store.log_batch(run.info.run_id, [], params, []))
    assert code == "INVALID_PARAMETER_VALUE" and "100 params" in message
    assert client.get_run(run.info.run_id).data.metrics == {}
    assert client.get_run(run.info.run_id).data.params == {}


def test_bad_filter_names_the_problem(mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    code, message = _error(lambda: client.search_runs(["0"], "metrics.acc >> 1"))
    assert code == "INVALID_PARAMETER_VALUE" and "search" in message.lower()
    code, message = _error(lambda: client.search_runs(["0"], "bogus.x = 1"))
    assert code == "INVALID_PARAMETER_VALUE" and "bogus" in message
    code, _ = _error(lambda: client.search_runs(["0"], order_by=["metrics.acc SIDEWAYS"]))
    assert code == "INVALID_PARAMETER_VALUE"


def test_raw_requests_get_mlflow_errors(mlflow_uri: str) -> None:
    api = f"{mlflow_uri}/api/2.0/mlflow"
    cases = [
        ("POST", f"{api}/runs/create", {"content": b"{not json"}, "INVALID_PARAMETER_VALUE"),
        (
            "POST",
            f"{api}/runs/log-metric",
            {"json": {"key": "x", "value": 1}},
            "INVALID_PARAMETER_VALUE",
        ),
        ("POST", f"{api}/experiments/create", {"json": {}}, "INVALID_PARAMETER_VALUE"),
        ("GET", f"{api}/runs/search", {"params": {"max_results": "0"}}, "INVALID_PARAMETER_VALUE"),
        ("GET", f"{api}/runs/search", {"params": {"page_token": "zz"}}, "INVALID_PARAMETER_VALUE"),
        ("POST", f"{api}/no/such/route", {"json": {}}, "ENDPOINT_NOT_FOUND"),
        (
            "GET",
            f"{api}/metrics/get-history-bulk-interval",
            {"params": {"metric_key": "x"}},
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "POST",
            f"{api}/runs/log-inputs",
            {"json": {"run_id": "r", "datasets": [{"tags": []}]}},
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "POST",
            f"{api}/runs/log-batch",
            {"json": {"run_id": "r", "metrics": [{"key": "x", "value": "lots"}]}},
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "POST",
            f"{api}/runs/update",
            {"json": {"run_id": "0" * 32, "status": "SLEEPING"}},
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "PUT",
            f"{mlflow_uri}/api/2.0/mlflow-artifacts/artifacts/a/%2E%2E/%2E%2E/escape.txt",
            {"content": b"x"},
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "GET",
            f"{mlflow_uri}/api/2.0/mlflow-artifacts/artifacts/0/none.txt",
            {},
            "RESOURCE_DOES_NOT_EXIST",
        ),
    ]
    for method, url, kwargs, code in cases:
        answer = httpx.request(method, url, **kwargs)  # type: ignore[arg-type]
        body = answer.json()
        assert answer.status_code < 500 and body["error_code"] == code, (url, body)
        assert body["message"]


def test_log_batch_metric_forms(mlflow_uri: str) -> None:
    """Metrics as the client sends them, in the other forms MLflow accepts, and out of range:
    the range error names the metric and nothing of the batch is stored."""
    from mlflow import MlflowClient

    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    api = f"{mlflow_uri}/api/2.0/mlflow/runs/log-batch"
    metrics = [
        {"key": "a", "value": 0.5, "timestamp": 7, "step": 3},  # as the client sends it
        {"key": "a", "value": 1, "timestamp": "8", "step": "4"},  # int value, numeric strings
        {"key": "b", "value": "NaN", "timestamp": 9},  # no step: 0
        {"key": "a", "value": 2.5, "timestamp": 10, "step": 5},
    ]
    answer = httpx.post(api, json={"run_id": run_id, "metrics": metrics})
    assert answer.status_code == 200, answer.text
    history = [(m.step, m.value, m.timestamp) for m in client.get_metric_history(run_id, "a")]
    assert history == [(3, 0.5, 7), (4, 1.0, 8), (5, 2.5, 10)]
    ((b),) = client.get_metric_history(run_id, "b")
    assert (b.step, b.timestamp) == (0, 9) and b.value != b.value  # NaN
    too_big = [{"key": "c", "value": 1.0, "timestamp": 1, "step": 1}]
    too_big.append({"key": "huge", "value": 1.0, "timestamp": 1, "step": 2**63})
    answer = httpx.post(api, json={"run_id": run_id, "metrics": too_big})
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE" and "'huge'" in body["message"]
    assert client.get_metric_history(run_id, "c") == []
