"""The mlflow client against a tracklog server on PostgreSQL (the rest run on SQLite)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from inprocess import SocketServer, socket_server


@pytest.fixture
def pg_server(store_uri: str, tmp_path: Path) -> Iterator[SocketServer]:
    with socket_server(store_uri, tmp_path / "artifacts") as server:
        yield server


@pytest.mark.parametrize("store_uri", ["postgresql"], indirect=True)
def test_fluent_run_on_postgresql(pg_server: SocketServer) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(pg_server.url)
    assert client.get_experiment("0").name == "Default"
    exp = client.create_experiment("pg", tags={"db": "postgresql"})
    run = client.create_run(exp, run_name="on-pg")
    client.log_param(run.info.run_id, "lr", "0.1")
    for step, value in enumerate([1.0, math.nan, math.inf]):
        client.log_metric(run.info.run_id, "v", value, step=step)
    client.set_terminated(run.info.run_id)
    (found,) = client.search_runs([exp], "params.lr = '0.1' and attributes.status = 'FINISHED'")
    assert found.info.run_name == "on-pg" and found.data.metrics == {"v": math.inf}
    history = [m.value for m in client.get_metric_history(run.info.run_id, "v")]
    assert history[0] == 1.0 and math.isnan(history[1]) and history[2] == math.inf
