"""search_runs from the mlflow client: filters, order_by, pandas, and paging."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def grid(tracklog_server: object) -> str:
    """Experiment "grid": 25 finished runs with lr, opt, acc and a tag, logged with the client."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient(tracklog_server.url)  # type: ignore[attr-defined]
    exp = client.create_experiment("grid")
    for i in range(25):
        run = client.create_run(exp, run_name=f"r{i:02d}", start_time=1_000 + i)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", i / 25, 0, 0)],
            params=[Param("lr", str(10.0**-i)), Param("opt", "adam" if i % 2 else "sgd")],
            tags=[RunTag("team", "nlp" if i < 10 else "cv")],
        )
        client.set_terminated(run.info.run_id)
    return exp


def test_search_runs_to_pandas_with_filter_and_order(mlflow_uri: str, grid: str) -> None:
    import mlflow

    frame = mlflow.search_runs(
        experiment_ids=[grid],
        filter_string="metrics.acc >= 0.5 and params.opt = 'adam' and tags.team = 'cv'",
        order_by=["metrics.acc DESC"],
    )
    assert list(frame["tags.mlflow.runName"]) == ["r23", "r21", "r19", "r17", "r15", "r13"]
    assert list(frame["params.opt"]) == ["adam"] * 6
    assert list(frame["metrics.acc"]) == [i / 25 for i in (23, 21, 19, 17, 15, 13)]
    by_name = mlflow.search_runs(
        experiment_names=["grid"],
        filter_string="attributes.run_name LIKE 'r0%' and attributes.status = 'FINISHED'",
        order_by=["attributes.run_name DESC"],
    )
    assert list(by_name["tags.mlflow.runName"]) == [f"r{i:02d}" for i in range(9, -1, -1)]


def test_search_pages_through_more_runs_than_a_page(mlflow_uri: str, grid: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    seen, token, pages = [], None, 0
    while True:
        page = client.search_runs(
            [grid], order_by=["attributes.start_time ASC"], max_results=10, page_token=token
        )
        seen += [r.info.run_name for r in page]
        pages += 1
        token = page.token
        if not token:
            break
    assert pages == 3 and seen == [f"r{i:02d}" for i in range(25)]
    # The fluent helper pages by itself.
    import mlflow

    assert len(mlflow.search_runs([grid], max_results=100)) == 25


def test_search_experiments_pages(mlflow_uri: str, grid: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    for i in range(3):
        client.create_experiment(f"page-{i}")
    first = client.search_experiments(
        filter_string="name LIKE 'page-%'", order_by=["name ASC"], max_results=2
    )
    rest = client.search_experiments(
        filter_string="name LIKE 'page-%'",
        order_by=["name ASC"],
        max_results=2,
        page_token=first.token,
    )
    assert [e.name for e in first] + [e.name for e in rest] == ["page-0", "page-1", "page-2"]
    assert not rest.token
