"""Searches through the server (its app in this process; uvicorn on a socket where a client
disconnects): past the limits on comparisons and order keys a 400 names the limit on every
search route; on PostgreSQL a search past ``--search-timeout`` is a 400 naming the timeout, and
a search whose client disconnects stops holding a backend.

A search is made to wait, deterministically, by holding a lock on the ``runs`` table from the
test: it can then end only by the timeout or by being cancelled."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from inprocess import InProcessServer, in_process_server, socket_server
from tracklog.store.search_parse import MAX_FILTER_CLAUSES, MAX_ORDER_KEYS

BOUND_S = 120  # generous bound for the database to show a change (never a timing assertion)
NATIVE = "/api/v1/runs/search"
MLFLOW = "/api/2.0/mlflow/runs/search"


def _clauses(n: int) -> str:
    return " AND ".join(f"params.p{k % 10} >= 0" for k in range(n))


@pytest.fixture(scope="module")
def api(module_store: tuple[str, Path]) -> Iterator[httpx.Client]:
    """A client of one app per database, with a project of three runs."""
    with in_process_server(*module_store) as server:
        client = server.client(timeout=BOUND_S)
        for i in range(3):
            config = {f"p{k}": i for k in range(10)}
            assert client.post("/api/v1/runs", json={"project": "s", "config": config}).is_success
        yield client


def _experiment_id(api: httpx.Client) -> str:
    answer = api.get("/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "s"})
    return answer.json()["experiment"]["experiment_id"]


def test_fifty_comparisons_work_on_every_run_search(api: httpx.Client) -> None:
    filter = _clauses(50)
    native = api.post(NATIVE, json={"projects": ["s"], "filter": filter})
    assert native.status_code == 200 and len(native.json()["runs"]) == 3
    page = api.post("/api/v1/runs/page", json={"projects": ["s"], "filter": filter})
    assert page.status_code == 200 and page.json()["total"] == 3
    body = {"experiment_ids": [_experiment_id(api)], "filter": filter}
    mlflow = api.post(MLFLOW, json=body)
    assert mlflow.status_code == 200 and len(mlflow.json()["runs"]) == 3


def test_past_the_limits_every_search_is_a_400_naming_the_limit(api: httpx.Client) -> None:
    many = _clauses(MAX_FILTER_CLAUSES + 1)
    order = [f"params.p{k % 10}" for k in range(MAX_ORDER_KEYS + 1)]
    exp = _experiment_id(api)
    native = [
        (NATIVE, {"projects": ["s"], "filter": many}),
        (NATIVE, {"projects": ["s"], "order_by": order}),
        ("/api/v1/runs/page", {"projects": ["s"], "filter": many}),
        ("/api/v1/runs/page", {"projects": ["s"], "order_by": order}),
    ]
    for path, body in native:
        answer = api.post(path, json=body)
        assert answer.status_code == 400, (path, body.keys(), answer.text)
        assert answer.json()["error"] == "INVALID_VALUE"
        assert "at most" in answer.json()["message"]
    names = " AND ".join(["name LIKE 'm%'"] * (MAX_FILTER_CLAUSES + 1))
    mlflow = [
        ("POST", MLFLOW, {"experiment_ids": [exp], "filter": many}),
        ("POST", MLFLOW, {"experiment_ids": [exp], "order_by": order}),
        ("POST", "/api/2.0/mlflow/experiments/search", {"filter": names}),
        ("GET", "/api/2.0/mlflow/registered-models/search", {"filter": names}),
        ("GET", "/api/2.0/mlflow/model-versions/search", {"filter": names}),
    ]
    for method, path, body in mlflow:
        answer = api.get(path, params=body) if method == "GET" else api.post(path, json=body)
        assert answer.status_code == 400, (path, body.keys(), answer.text)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        message = answer.json()["message"]
        limit = "order_by" in body and f"at most {MAX_ORDER_KEYS} order-by"
        assert (limit or f"at most {MAX_FILTER_CLAUSES} comparisons") in message


# --- PostgreSQL: a search made to wait on a lock -------------------------------------------


@pytest.fixture
def pg_uri(postgres_uri_factory: object) -> str:
    return postgres_uri_factory()  # type: ignore[operator]


def _libpq(uri: str) -> str:
    return uri.replace("postgresql+psycopg://", "postgresql://")


def _add_run(client: httpx.Client) -> None:
    assert client.post("/api/v1/runs", json={"project": "s"}).is_success


def _lock_runs(uri: str) -> psycopg.Connection:
    """A connection holding an exclusive lock on ``runs`` until it is closed."""
    conn = psycopg.connect(_libpq(uri))
    conn.execute("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE")
    return conn


def _waiting_searches(uri: str) -> int:
    """How many backends wait for the lock on ``runs`` (that is, run a search now)."""
    with psycopg.connect(_libpq(uri), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND state = 'active'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + BOUND_S
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.parametrize("path", [NATIVE, MLFLOW])
def test_search_past_the_timeout_is_a_400_naming_it(
    pg_uri: str, app_factory: Callable[..., InProcessServer], path: str
) -> None:
    client = app_factory(pg_uri, search_timeout_ms=500).client(timeout=BOUND_S)
    _add_run(client)
    lock = _lock_runs(pg_uri)
    try:
        body = {"projects": ["s"]} if path == NATIVE else {"experiment_ids": ["1"]}
        answer = client.post(path, json=body)
    finally:
        lock.close()
    assert answer.status_code == 400, answer.text
    error = answer.json()
    code = error["error"] if path == NATIVE else error["error_code"]
    assert code == ("SEARCH_TIMEOUT" if path == NATIVE else "INVALID_PARAMETER_VALUE")
    assert "limit of 0.5 s" in error["message"] and "--search-timeout" in error["message"]
    assert "Invalid search expression" not in error["message"]  # the filter was fine


@pytest.mark.postgres
@pytest.mark.parametrize("path", [NATIVE, MLFLOW])
def test_search_is_cancelled_when_its_client_disconnects(
    pg_uri: str, tmp_path: Path, path: str
) -> None:
    # uvicorn on a socket, without a search timeout: only the client's leaving can end it.
    with socket_server(pg_uri, tmp_path / "artifacts", search_timeout_ms=0) as server:
        with httpx.Client(base_url=server.url) as api:
            _add_run(api)
        lock = _lock_runs(pg_uri)
        try:
            body = {"projects": ["s"]} if path == NATIVE else {"experiment_ids": ["1"]}
            data = json.dumps(body)
            client = socket.create_connection(("127.0.0.1", server.port))
            client.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n{data}".encode()
            )
            _until(lambda: _waiting_searches(pg_uri) == 1, "the search never started")
            client.close()
            # The lock is still held: only a cancel can end the search.
            _until(lambda: _waiting_searches(pg_uri) == 0, "the search kept its backend busy")
        finally:
            lock.close()  # before the server stops: it waits for the requests it serves


def test_a_search_of_more_experiments_than_bind_parameters_works(api: httpx.Client) -> None:
    # PostgreSQL binds at most 65,535 parameters per statement: this was a 500 there.
    ids = [_experiment_id(api), *(str(i) for i in range(1000, 71_000))]
    answer = api.post(MLFLOW, json={"experiment_ids": ids})
    assert answer.status_code == 200, answer.text[:300]
    assert len(answer.json()["runs"]) == 3


def test_a_logged_model_search_of_as_many_experiments_works(api: httpx.Client) -> None:
    ids = [_experiment_id(api), *(str(i) for i in range(1000, 71_000))]
    answer = api.post("/api/2.0/mlflow/logged-models/search", json={"experiment_ids": ids})
    assert answer.status_code == 200, answer.text[:300]
