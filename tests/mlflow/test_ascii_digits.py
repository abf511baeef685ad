"""Experiment ids and integer arguments are ASCII digits only: ``str.isdigit``, ``int`` and
``float`` also read other scripts' digits ('١', '²') and '_' separators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from inprocess import SocketServer, auth_socket_server

MLFLOW = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    folder: Path = tmp_path_factory.mktemp("ascii-digits")
    with auth_socket_server(folder, {"root": True, "writer": False}) as (server, tokens):
        yield server.url, tokens


def test_experiment_ids_and_integers_in_other_scripts_are_400(
    tracklog_server: SocketServer,
) -> None:
    api = httpx.Client(base_url=tracklog_server.url + MLFLOW)
    exp_id = api.post("/experiments/create", json={"name": "ascii"}).json()["experiment_id"]
    assert api.get("/experiments/get", params={"experiment_id": exp_id}).status_code == 200
    for odd in (exp_id.translate(ARABIC), "²", f"0_{exp_id}", f" {exp_id}"):
        answer = api.get("/experiments/get", params={"experiment_id": odd})
        assert answer.status_code == 400, (odd, answer.text)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    search = {"experiment_ids": exp_id}
    assert api.get("/runs/search", params={**search, "max_results": "10"}).status_code == 200
    for odd in ("١٠", "1_0"):
        answer = api.get("/runs/search", params={**search, "max_results": odd})
        assert answer.status_code == 400, (odd, answer.text)
        assert "max_results" in answer.json()["message"]


def test_an_artifact_path_under_a_non_ascii_number_is_no_experiments_folder(
    auth_server: tuple[str, dict[str, str]],
) -> None:
    url, tokens = auth_server
    root = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['root']}"})
    writer = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['writer']}"})
    exp_id = writer.post(f"{MLFLOW}/experiments/create", json={"name": "w"}).json()
    exp_id = exp_id["experiment_id"]
    assert writer.put(f"{ARTIFACTS}/{exp_id}/ok.txt", content=b"x").status_code == 200
    # '١' reads as the writer's experiment to isdigit()/int(), but names another folder.
    for odd in (exp_id.translate(ARABIC), "²"):
        answer = writer.put(f"{ARTIFACTS}/{odd}/f.txt", content=b"x")
        assert answer.status_code == 403, (odd, answer.text)
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
    listed = root.get(f"{ARTIFACTS}").json().get("files", [])
    assert sorted(f["path"] for f in listed) == [exp_id]
