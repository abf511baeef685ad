"""Metric appends of concurrent requests grouped into one transaction (store on SQLite and
PostgreSQL), and concurrent ``log-batch`` requests to the real server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np

from inprocess import SocketServer
from tracklog.errors import InvalidValueError
from tracklog.server.mlflow_api.grouped_appends import GroupedAppends
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store


def _points(key: str, step: int) -> list[SeriesPoints]:
    return [
        SeriesPoints(
            key,
            "",
            np.array([step], np.int64),
            np.array([step / 10], np.float64),
            np.array([step], np.int64),
        )
    ]


def _grouped(store: Store, run_id: str, batches: list[list[SeriesPoints]]) -> list[object]:
    """Append ``batches`` from one thread each, all in one group: the turn is held until every
    request has joined, so the grouping does not depend on timing."""
    grouped = GroupedAppends()
    answers: list[object] = [None] * len(batches)

    def one(i: int) -> None:
        try:
            grouped.append(store, run_id, batches[i])
        except Exception as exc:
            answers[i] = exc

    with grouped._turn:
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(batches))]
        for t in threads:
            t.start()
        while len(grouped._open.get(run_id, [])) < len(batches):
            time.sleep(0.001)
    for t in threads:
        t.join()
    return answers


def test_a_group_is_written_in_arrival_order(store: Store) -> None:
    run = store.create_run("p")
    assert _grouped(store, run.id, [_points("loss", s) for s in range(8)]) == [None] * 8
    steps = store.read_series(run.id, "loss")[0]
    assert sorted(steps.tolist()) == list(range(8))
    assert store.get_run(run.id).summary["loss"] == 0.7


def test_a_bad_request_fails_alone_and_the_rest_are_kept(store: Store) -> None:
    run = store.create_run("p")
    batches = [_points("acc", 1), _points("bad key!\n", 2), _points("acc", 3)]
    answers = _grouped(store, run.id, batches)
    assert answers[0] is None and answers[2] is None
    assert isinstance(answers[1], InvalidValueError)
    assert store.read_series(run.id, "acc")[0].tolist() == [1, 3]


def test_concurrent_log_batch_requests_all_land(tracklog_server: SocketServer) -> None:
    api = f"{tracklog_server.url}/api/2.0/mlflow"
    with httpx.Client() as client:
        run = client.post(f"{api}/runs/create", json={"experiment_id": "0"}).json()["run"]
    run_id = run["info"]["run_id"]

    def send(step: int) -> int:
        metrics = [{"key": f"k{i}", "value": step, "timestamp": 1, "step": step} for i in range(5)]
        body = {"run_id": run_id, "metrics": metrics}
        return httpx.post(f"{api}/runs/log-batch", json=body).status_code

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(send, range(100))) == {200}
    with httpx.Client() as client:
        history = client.get(
            f"{api}/metrics/get-history", params={"run_id": run_id, "metric_key": "k3"}
        ).json()["metrics"]
    assert sorted(m["step"] for m in history) == list(range(100))
