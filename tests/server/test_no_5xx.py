"""Input that once made the server answer a (plain-text) 500 is a 4xx in the shape of the
route's API now, and an error nobody foresaw is still JSON: MLflow's ``{"error_code",
"message"}`` on MLflow's routes, tracklog's ``{"error", "message"}`` on the native ones."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update

from server_process import listening_port
from tracklog.server.app import create_app
from tracklog.server.mlflow_api import runs as mlflow_runs
from tracklog.server.settings import Settings
from tracklog.store import engine as engine_module
from tracklog.store import schema
from tracklog.store.engine import writing
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store
from tracklog.store.wire import MEDIA_TYPE, encode_record

M = "/api/2.0/mlflow"
JSON = {"content-type": "application/json"}
DEEP = "[" * 2000 + "]" * 2000
SURROGATE = '"\\ud800"'  # a JSON escape of a lone surrogate: valid JSON, not text


@pytest.fixture
def client(store_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(backend_store_uri=store_uri, artifacts_destination=str(tmp_path / "art"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def ids(client: TestClient) -> dict[str, str]:
    exp = client.post(f"{M}/experiments/create", json={"name": "e"}).json()["experiment_id"]
    run = client.post(f"{M}/runs/create", json={"experiment_id": exp}).json()
    native = client.post("/api/v1/runs", json={"project": "p"}).json()["id"]
    return {"exp": exp, "run": run["run"]["info"]["run_id"], "native": native}


def mlflow_error(response: Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    return body


def native_error(response: Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}, body
    return body


def test_deeply_nested_bodies_are_400s(client: TestClient, ids: dict[str, str]) -> None:
    for route in (
        "runs/log-batch",
        "experiments/create",
        "runs/search",
        "registered-models/create",
    ):
        for body in (DEEP, '{"name": ' + DEEP + "}"):
            answer = mlflow_error(client.post(f"{M}/{route}", content=body, headers=JSON))
            assert "nested too deep: more than 64 levels" in answer["message"]
    native = [
        ("/api/v1/runs", '{"project": "p", "config": ' + DEEP + "}"),
        ("/api/v1/runs/search", DEEP),
        (f"/api/v1/runs/{ids['native']}/config", '{"config": {"a": ' + DEEP + "}}"),
        ("/api/v1/runs/page", '{"project": ' + DEEP + "}"),
    ]
    for path, body in native:
        answer = native_error(client.post(path, content=body, headers=JSON))
        assert "nested too deep: more than 64 levels" in answer["message"]
    deep_context = {"context": "[" * 3000}
    answer = native_error(client.get(f"/api/v1/runs/{ids['native']}/series/x", params=deep_context))
    assert "nested" in answer["message"]


def with_surrogate(body: dict[str, Any]) -> str:
    """``body`` as JSON with each ``"@"`` a lone surrogate's escape (json.dumps escapes it)."""
    return json.dumps(body).replace('"@"', SURROGATE)


def test_a_lone_surrogate_in_any_text_is_a_400_naming_the_field(
    client: TestClient, ids: dict[str, str]
) -> None:
    run, exp = ids["run"], ids["exp"]
    mlflow = [
        ("experiments/create", {"name": "@"}, "name"),
        ("runs/create", {"experiment_id": exp, "run_name": "@"}, "run_name"),
        ("runs/update", {"run_id": run, "run_name": "@"}, "run_name"),
        ("runs/set-tag", {"run_id": run, "key": "@", "value": "v"}, "key"),
        ("runs/set-tag", {"run_id": run, "key": "k", "value": "@"}, "value"),
        ("runs/log-parameter", {"run_id": run, "key": "p", "value": "@"}, "value"),
        ("runs/log-metric", {"run_id": run, "key": "@", "value": 1}, "key"),
        ("runs/log-batch", {"run_id": run, "params": [{"key": "a", "value": "@"}]}, "value"),
        ("runs/search", {"experiment_ids": [exp], "filter": "@"}, "filter"),
        ("registered-models/create", {"name": "@"}, "name"),
    ]
    for route, body, field in mlflow:
        response = client.post(f"{M}/{route}", content=with_surrogate(body), headers=JSON)
        message = mlflow_error(response)["message"]
        assert f"'{field}'" in message and "surrogate" in message
    native = ids["native"]
    paths = [
        ("/api/v1/runs", {"project": "@"}, "project"),
        ("/api/v1/runs", {"project": "p", "name": "@"}, "name"),
        ("/api/v1/runs/search", {"filter": "@"}, "filter"),
        (f"/api/v1/runs/{native}/tags", {"tags": {"a": "@"}}, "a"),
        (f"/api/v1/runs/{native}/config", {"config": {"a": "@"}}, "a"),
        (f"/api/v1/runs/{native}/finish", {"status": "FAILED", "error": "@"}, "error"),
    ]
    for path, body, field in paths:
        message = native_error(client.post(path, content=with_surrogate(body), headers=JSON))[
            "message"
        ]
        assert f"'{field}'" in message and "surrogate" in message
    record = encode_record("set_tags", {"run_id": native, "tags": {"a": "\ud800"}})
    answer = native_error(client.post("/api/v1/ingest", content=record, headers=_WIRE))
    assert "surrogate" in answer["message"]
    assert client.get(f"/api/v1/runs/{native}").json()["tags"] == {}  # nothing applied


_WIRE = {"content-type": MEDIA_TYPE}


def test_an_ingested_metric_batch_with_a_null_context_is_a_400(
    client: TestClient, ids: dict[str, str]
) -> None:
    steps = np.arange(3, dtype=np.int64)
    points = SeriesPoints("loss", None, steps, np.ones(3), steps)  # type: ignore[arg-type]
    record = encode_record("append_metrics", {"run_id": ids["native"], "batch": [points]})
    answer = native_error(client.post("/api/v1/ingest", content=record, headers=_WIRE))
    assert "context must be a string" in answer["message"]


def test_framework_errors_answer_in_the_routes_shape(client: TestClient) -> None:
    assert native_error(client.get("/api/v1/no-such-route"), 404)["error"] == "NOT_FOUND"
    answer = native_error(client.put("/api/v1/runs/search"), 405)
    assert answer["error"] == "METHOD_NOT_ALLOWED"
    assert mlflow_error(client.get(f"{M}/no-such"), 404)["error_code"] == "ENDPOINT_NOT_FOUND"


def test_an_unexpected_error_is_a_json_500_in_the_routes_shape(
    client: TestClient, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    # A bug nobody foresaw, behind an MLflow route and a native one.
    monkeypatch.setattr(mlflow_runs, "run_json", broken)
    monkeypatch.setattr(Store, "get_run", broken)
    answer = mlflow_error(client.get(f"{M}/runs/get", params={"run_id": ids["run"]}), 500)
    assert answer["error_code"] == "INTERNAL_ERROR" and "RuntimeError" in answer["message"]
    answer = native_error(client.get(f"/api/v1/runs/{ids['native']}"), 500)
    assert answer["error"] == "INTERNAL_ERROR" and "a bug" not in answer["message"]


BUGGY_SERVER = textwrap.dedent(
    """
    import sys, uvicorn
    from tracklog.server.app import create_app
    from tracklog.server.settings import Settings
    from tracklog.store.tracking import Store

    def broken(*args, **kwargs):
        raise RuntimeError("a bug nobody foresaw")

    Store.get_run = broken
    folder, port = sys.argv[1], int(sys.argv[2])
    settings = Settings(f"sqlite:///{folder}/t.db", f"{folder}/artifacts")
    uvicorn.run(create_app(settings), port=port)
    """
)


def test_an_unexpected_error_is_logged_once_with_its_traceback(tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", BUGGY_SERVER, str(tmp_path), "0"]  # port 0: a free one
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (port := listening_port(log_path.read_bytes())):
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/runs/abc", timeout=60)
        assert native_error(response, 500)["error"] == "INTERNAL_ERROR"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log = log_path.read_text()
    assert log.count("Traceback") == 1 and "RuntimeError: a bug nobody foresaw" in log, log


def test_refusals_before_the_route_answer_in_its_shape(tmp_path: Path) -> None:
    # The body limit and the gzip decoder answer before any route: still each API's shape.
    uri = f"sqlite:///{tmp_path}/t.db"
    settings = Settings(uri, str(tmp_path / "art"), max_body_bytes=1000)
    big = json.dumps({"name": "x" * 2000})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for path, check in (
            (f"{M}/experiments/create", mlflow_error),
            ("/api/v1/runs", native_error),
        ):
            assert (
                "1000 bytes" in check(client.post(path, content=big, headers=JSON), 413)["message"]
            )
            gzipped = {**JSON, "content-encoding": "gzip"}
            assert check(client.post(path, content=b"not gzip", headers=gzipped), 400)
            odd = {**JSON, "content-encoding": "br"}
            assert check(client.post(path, content=b"{}", headers=odd), 415)


def test_a_locked_database_is_a_503_in_each_apis_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 503 tells the client to retry (the mlflow client does, for minutes): the store says
    # when (tests/store/test_engine_errors.py has each database condition), the server only
    # answers it. Another program holds the write lock past the store's busy timeout.
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 50)
    db = tmp_path / "t.db"
    settings = Settings(backend_store_uri=f"sqlite:///{db}", artifacts_destination=str(tmp_path))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        exp = client.post(f"{M}/experiments/create", json={"name": "e"}).json()["experiment_id"]
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            body = native_error(client.post("/api/v1/runs", json={"project": "p"}), 503)
            assert body["error"] == "STORE_UNAVAILABLE" and "locked" in body["message"], body
            body = mlflow_error(client.post(f"{M}/runs/create", json={"experiment_id": exp}), 503)
            assert body["error_code"] == "TEMPORARILY_UNAVAILABLE" and "locked" in body["message"]
        finally:
            holder.rollback()
            holder.close()
        assert client.post("/api/v1/runs", json={"project": "p"}).status_code == 201


def test_a_store_failure_a_retry_cannot_cure_is_a_500_not_a_503(
    client: TestClient, ids: dict[str, str], store_uri: str
) -> None:
    # A damaged stored chunk: a 503 would have clients retry it for minutes.
    run_id = ids["native"]
    steps = np.arange(3, dtype=np.int64)
    store = Store(store_uri)
    for run in (run_id, ids["run"]):
        store.append_metrics(run, [SeriesPoints("loss", "", steps, np.ones(3), steps)])
    with writing(store.engine) as conn:
        conn.execute(update(schema.metric_chunks).values(data=b"XX9" + b"\0" * 12))
    store.close()
    body = native_error(client.get(f"/api/v1/runs/{run_id}/series/loss"), 500)
    assert body["error"] == "INTERNAL_ERROR" and "StoreError" in body["message"], body
    history = {"run_id": ids["run"], "metric_key": "loss"}
    body = mlflow_error(client.get(f"{M}/metrics/get-history", params=history), 500)
    assert body["error_code"] == "INTERNAL_ERROR", body


def test_request_json_nests_at_most_64_levels(client: TestClient, ids: dict[str, str]) -> None:
    def nested(argument: str, levels: int) -> str:  # an object around an argument no route reads
        return "{" + argument + ', "unread": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"

    routes = [
        (f"{M}/runs/search", '"experiment_ids": ["0"]', mlflow_error),
        (f"/api/v1/runs/{ids['native']}/labels", '"labels": ["a"]', native_error),
    ]
    for path, argument, refused in routes:
        at_limit = client.post(path, content=nested(argument, 64), headers=JSON)
        assert at_limit.status_code < 300, at_limit.text
        past = refused(client.post(path, content=nested(argument, 65), headers=JSON))
        assert "more than 64 levels" in past["message"]
