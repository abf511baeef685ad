"""Whatever a client sends to an MLflow route, the answer is never a 5xx (the mlflow client
would retry it for minutes): every route gets ill-typed and out-of-range arguments."""

from __future__ import annotations

import httpx

ROUTES = [
    ("POST", "experiments/create"),
    ("GET", "experiments/get"),
    ("GET", "experiments/get-by-name"),
    ("POST", "experiments/search"),
    ("POST", "experiments/update"),
    ("POST", "experiments/delete"),
    ("POST", "experiments/restore"),
    ("POST", "experiments/set-experiment-tag"),
    ("POST", "experiments/delete-experiment-tag"),
    ("POST", "runs/create"),
    ("GET", "runs/get"),
    ("POST", "runs/update"),
    ("POST", "runs/delete"),
    ("POST", "runs/restore"),
    ("POST", "runs/search"),
    ("POST", "runs/log-metric"),
    ("POST", "runs/log-parameter"),
    ("POST", "runs/log-batch"),
    ("POST", "runs/log-inputs"),
    ("POST", "runs/set-tag"),
    ("POST", "runs/delete-tag"),
    ("GET", "metrics/get-history"),
    ("GET", "metrics/get-history-bulk-interval"),
]
ODD = [True, -1, 2**70, 1e400, "x" * 300, [1, "a"], {"a": 1}]
NAMES = [
    "experiment_id",
    "experiment_ids",
    "name",
    "new_name",
    "experiment_name",
    "run_id",
    "run_ids",
    "key",
    "value",
    "step",
    "timestamp",
    "status",
    "end_time",
    "start_time",
    "tags",
    "metrics",
    "params",
    "datasets",
    "filter",
    "order_by",
    "max_results",
    "page_token",
    "metric_key",
    "view_type",
    "run_view_type",
    "start_step",
    "end_step",
]


def test_no_argument_makes_a_5xx(mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    run_id = MlflowClient().create_run("0").info.run_id
    failures = []
    with httpx.Client(base_url=f"{mlflow_uri}/api/2.0/mlflow/") as client:
        for method, path in ROUTES:
            for name in NAMES:
                for value in ODD:
                    body = {"run_id": run_id, "experiment_id": "0", "key": "k", name: value}
                    if method == "GET":
                        params = {k: str(v) for k, v in body.items()}
                        answer = client.request(method, path, params=params)
                    else:
                        # 1e400 is not valid JSON for json=, so the body is written by hand.
                        raw = httpx.Request("POST", "/", json={**body, name: 0}).content
                        text = raw.decode().replace(f'"{name}":0', f'"{name}":{_literal(value)}')
                        answer = client.request(method, path, content=text)
                    refused = answer.status_code >= 400 and "error_code" not in answer.json()
                    if answer.status_code >= 500 or refused:
                        failures.append((path, name, value, answer.status_code, answer.text))
    assert not failures, failures[:5]


def _literal(value: object) -> str:
    import json

    return "1e400" if value == 1e400 else json.dumps(value)
