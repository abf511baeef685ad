"""Writes into a project in the trash: through the in-process server, a 409 naming the project
on native routes (ingest included, nothing applied), MLflow's error on MLflow's; a run logged
to a real server there is set aside whole, to be sent once the project is restored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from remote_helpers import sdk_session

import tracklog
from server_process import ServerProcess
from tracklog.cli.main import cli
from tracklog.client.http import error_for
from tracklog.errors import ProjectDeletedError
from tracklog.server.app import create_app
from tracklog.server.settings import Settings
from tracklog.store.wire import MEDIA_TYPE, encode_record

M = "/api/2.0/mlflow"


@pytest.fixture
def client(store_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(backend_store_uri=store_uri, artifacts_destination=str(tmp_path / "art"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _trashed_run(client: TestClient) -> tuple[str, str]:
    """A finished run of project "old", put back alone after its project went to the trash:
    (its id, the project's experiment id)."""
    run = client.post("/api/v1/runs", json={"project": "old"}).json()
    client.post(f"/api/v1/runs/{run['id']}/finish", json={"status": "FINISHED"})
    exp = str(run["experiment_id"])
    assert client.post(f"{M}/experiments/delete", json={"experiment_id": exp}).status_code == 200
    assert client.post(f"{M}/runs/restore", json={"run_id": run["id"]}).status_code == 200
    return run["id"], exp


def _runs(client: TestClient) -> list[str]:
    found = client.post("/api/v1/runs/search", json={"projects": ["old"], "lifecycle": "all"})
    return [r["id"] for r in found.json()["runs"]]


def test_native_writes_into_a_project_in_the_trash_are_409(client: TestClient) -> None:
    run_id, _ = _trashed_run(client)
    created = client.post("/api/v1/runs", json={"project": "old", "name": "late"})
    resumed = client.post(f"/api/v1/runs/{run_id}/resume", json={})
    ingested = client.post(
        "/api/v1/ingest",
        content=encode_record("create_run", {"project": "old", "run_id": "f" * 32}),
        headers={"content-type": MEDIA_TYPE},
    )
    for refused in (created, resumed, ingested):
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["error"] == "PROJECT_DELETED"
        assert "project 'old' is in the trash" in body["message"]
    assert _runs(client) == [run_id]
    assert client.get(f"/api/v1/runs/{run_id}").json()["status"] == "FINISHED"
    # A client gets the store's own error back.
    answer = httpx.Response(409, json=created.json())
    assert isinstance(error_for(answer, "http://server"), ProjectDeletedError)


def test_mlflow_writes_into_an_experiment_in_the_trash_keep_mlflows_error(
    client: TestClient,
) -> None:
    run_id, exp = _trashed_run(client)
    created = client.post(f"{M}/runs/create", json={"experiment_id": exp})
    resumed = client.post(f"{M}/runs/update", json={"run_id": run_id, "status": "RUNNING"})
    for refused in (created, resumed):
        assert refused.status_code == 400, refused.text
        assert refused.json() == {
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": f"The experiment {exp} must be in the 'active' state.",
        }
    assert _runs(client) == [run_id]


@pytest.fixture
def remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from sdk_session(tmp_path, monkeypatch)


@pytest.mark.parametrize("store_uri", ["sqlite"], indirect=True)
def test_a_remote_run_in_a_project_in_the_trash_is_set_aside_whole(
    store_uri: str,
    server_factory: Callable[..., ServerProcess],
    remote_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = server_factory(store_uri)
    api = httpx.Client(base_url=server.url)
    exp = api.post(f"{M}/experiments/create", json={"name": "old"}).json()["experiment_id"]
    api.post(f"{M}/experiments/delete", json={"experiment_id": exp})
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    run = tracklog.init(project="old")  # journaled; the server's answer comes later
    run.log({"x": 1.0})
    with pytest.warns(UserWarning, match="refused create_run.*project 'old' is in the trash"):
        run.finish()
    assert not tracklog.Api(server.url).runs("old", include_deleted=True)
    api.post(f"{M}/experiments/restore", json={"experiment_id": exp})
    rejected = remote_env / "tracklog" / "offline" / run.id / "rejected"
    resent = CliRunner().invoke(cli, ["sync", str(rejected), "--uri", server.url])
    assert resent.exit_code == 0, resent.output
    assert tracklog.Api(server.url).run(run.id).summary["x"] == 1.0
