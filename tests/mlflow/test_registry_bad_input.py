"""No argument of a registry or logged-model route makes a 5xx (the mlflow client would retry
it for minutes): each route gets ill-typed and out-of-range values for each of its arguments,
and answers in MLflow's error shape."""

from __future__ import annotations

from typing import Any

import httpx

# (method, path, arguments) of every route; {model_id} is a real logged model.
ROUTES: list[tuple[str, str, list[str]]] = [
    ("POST", "registered-models/create", ["name", "description", "tags"]),
    ("GET", "registered-models/get", ["name"]),
    ("POST", "registered-models/rename", ["name", "new_name"]),
    ("PATCH", "registered-models/update", ["name", "description"]),
    ("GET", "registered-models/search", ["filter", "order_by", "max_results", "page_token"]),
    ("POST", "registered-models/get-latest-versions", ["name", "stages"]),
    ("POST", "registered-models/set-tag", ["name", "key", "value"]),
    ("DELETE", "registered-models/delete-tag", ["name", "key"]),
    ("POST", "registered-models/alias", ["name", "alias", "version"]),
    ("GET", "registered-models/alias", ["name", "alias"]),
    ("DELETE", "registered-models/alias", ["name", "alias"]),
    ("POST", "model-versions/create", ["name", "source", "run_id", "tags", "model_id"]),
    ("GET", "model-versions/get", ["name", "version"]),
    ("PATCH", "model-versions/update", ["name", "version", "description"]),
    ("POST", "model-versions/transition-stage", ["version", "stage", "archive_existing_versions"]),
    ("GET", "model-versions/search", ["filter", "order_by", "max_results", "page_token"]),
    ("GET", "model-versions/get-download-uri", ["name", "version"]),
    ("POST", "model-versions/set-tag", ["name", "version", "key", "value"]),
    ("DELETE", "model-versions/delete-tag", ["name", "version", "key"]),
    ("DELETE", "model-versions/delete", ["name", "version"]),
    ("DELETE", "registered-models/delete", ["name"]),
    ("POST", "logged-models", ["experiment_id", "name", "source_run_id", "params", "tags"]),
    ("POST", "logged-models/search", ["experiment_ids", "filter", "order_by", "max_results"]),
    ("PATCH", "logged-models/{model_id}", ["status"]),
    ("PATCH", "logged-models/{model_id}/tags", ["tags"]),
    ("POST", "logged-models/{model_id}/params", ["params"]),
    ("POST", "runs/outputs", ["run_id", "models"]),
]
ODD: list[Any] = [True, -1, 2**70, "x" * 300, "\x00", [1, "a"], {"a": 1}, [{"key": 1}], None]


def test_no_argument_makes_a_5xx(mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    client.create_registered_model("fuzzed")
    client.create_model_version("fuzzed", "s3://bucket/fuzzed")
    model_id = client.create_logged_model("0", name="fuzzed").model_id
    good = {"name": "fuzzed", "version": "1", "key": "k", "experiment_id": "0"}
    failures = []
    with httpx.Client(base_url=f"{mlflow_uri}/api/2.0/mlflow/") as http:
        for method, path, names in ROUTES:
            url = path.format(model_id=model_id)
            for name in names:
                for value in ODD:
                    body = {**good, name: value}
                    if method == "GET":
                        params = {k: str(v) for k, v in body.items()}
                        answer = http.request(method, url, params=params)
                    else:
                        answer = http.request(method, url, json=body)
                    shaped = answer.status_code < 400 or "error_code" in answer.json()
                    if answer.status_code >= 500 or not shaped:
                        failures.append((method, path, name, value, answer.text[:200]))
    assert not failures, failures[:5]
    assert client.get_model_version("fuzzed", "1").source == "s3://bucket/fuzzed"
