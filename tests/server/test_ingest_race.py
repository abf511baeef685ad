"""``POST /api/v1/ingest`` on an ``--auth`` server: a batch that creates a run whose id another
user takes between the batch's permission check and its write never writes into their run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from inprocess import InProcessServer
from tracklog.store.auth import AuthStore
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store
from tracklog.store.wire import MEDIA_TYPE, encode_record
from writers_paused import paused_writers


@pytest.fixture
def two_users(
    store_uri: str, tmp_path: Path, app_factory: Callable[..., InProcessServer]
) -> Iterator[tuple[Store, dict[str, httpx.Client]]]:
    """An ``--auth`` app with users alice and bob, its store, and a client per user."""
    store = Store(StoreLocation(resolve(store_uri).db_url, str(tmp_path / "artifacts")))
    auth = AuthStore(store)
    clients = {}
    for name in ("alice", "bob"):
        auth.create_user(name, None)
        token = auth.create_token(name, "tests").secret
        clients[name] = f"Bearer {token}"
    server = app_factory(store_uri, auth=True)
    api = {
        name: server.client("/api/v1", headers={"authorization": header}, timeout=120)
        for name, header in clients.items()
    }
    yield store, api
    store.close()


def test_a_run_id_taken_between_check_and_write_is_not_adopted(
    two_users: tuple[Store, dict[str, httpx.Client]],
) -> None:
    store, api = two_users
    assert api["alice"].post("/runs", json={"project": "alice-private"}).status_code == 201
    assert api["bob"].get("/projects").status_code == 200  # his token's first use is recorded
    points = SeriesPoints("loss", "", np.arange(3), np.ones(3), np.arange(3, dtype=np.int64))
    batch = encode_record(
        "create_run", {"run_id": "taken-id", "project": "bob-new"}
    ) + encode_record("append_metrics", {"run_id": "taken-id", "batch": [points]})

    def send() -> httpx.Response:
        headers = {"content-type": MEDIA_TYPE}
        return api["bob"].post("/ingest", content=batch, headers=headers)

    with ThreadPoolExecutor(1) as pool:
        # Bob's batch is checked (no run "taken-id": his new run in his new project) and then
        # waits to create project "bob-new"; meanwhile alice's run gets that id, and ends.
        with paused_writers(store, "experiments") as wait_for:
            answer = pool.submit(send)
            wait_for(1)
            store.create_run("alice-private", run_id="taken-id", config={"secret": 1})
            store.finish_run("taken-id", "FINISHED")
        refused = answer.result()
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "PERMISSION_DENIED"
    run = store.get_run("taken-id")
    assert (run.project, run.status, run.config) == ("alice-private", "FINISHED", {"secret": 1})
    assert store.series_stats("taken-id") == []  # none of bob's points
    assert api["bob"].get("/runs/taken-id").status_code == 403
