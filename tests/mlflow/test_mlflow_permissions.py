"""With ``--auth``, the MLflow routes check the same per-project grants as ``/api/v1``: the real
mlflow client of a reader, a writer, a stranger and an admin against a server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from inprocess import auth_socket_server

USERS = {"root": True, "reader": False, "writer": False, "stranger": False}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    folder: Path = tmp_path_factory.mktemp("mlflow-permissions")
    with auth_socket_server(folder, USERS) as (server, tokens):
        yield server.url, tokens


@pytest.fixture
def as_user(
    server: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Any]:
    """``as_user(name)``: an MlflowClient that sends ``name``'s token from now on."""
    from mlflow import MlflowClient

    url, tokens = server

    def client(name: str) -> Any:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", tokens[name])
        return MlflowClient(url, registry_uri=url)

    return client


def _grant(server: tuple[str, dict[str, str]], project: str, user: str, level: str) -> None:
    url, tokens = server
    answer = httpx.put(
        f"{url}/api/v1/projects/{project}/permissions/{user}",
        json={"permission": level},
        headers={"Authorization": f"Bearer {tokens['root']}"},
    )
    assert answer.status_code == 204, answer.text


def _refused(call: Callable[[], object]) -> str:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as info:
        call()
    return info.value.error_code


@pytest.fixture(scope="module")
def shared(server: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An admin's experiment "shared" with one run (a metric, a param, a file); reader holds
    READ on it, writer EDIT, stranger nothing."""
    import os

    from mlflow import MlflowClient

    url, tokens = server
    # Module-scoped: conftest's fail-fast setting is not in force yet.
    env = {"MLFLOW_TRACKING_TOKEN": tokens["root"], "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    os.environ.update(env)
    try:
        client = MlflowClient(url)
        exp_id = client.create_experiment("shared")
        run = client.create_run(exp_id, run_name="baseline")
        client.log_metric(run.info.run_id, "loss", 0.5, step=1)
        client.log_param(run.info.run_id, "lr", "0.1")
        note = tmp_path_factory.mktemp("files") / "note.txt"
        note.write_text("hello")
        client.log_artifact(run.info.run_id, str(note))
        private = client.create_experiment("private")
        client.create_run(private, run_name="hidden")
    finally:
        for name in env:
            del os.environ[name]
    _grant(server, "shared", "reader", "READ")
    _grant(server, "shared", "writer", "EDIT")
    return exp_id, private, run.info.run_id


def test_a_reader_searches_and_gets_but_cannot_log(
    as_user: Callable[[str], Any], shared: Any, tmp_path: Path
) -> None:
    exp_id, private, run_id = shared
    client = as_user("reader")
    assert [e.name for e in client.search_experiments()] == ["shared"]
    assert client.get_experiment_by_name("shared").experiment_id == exp_id
    found = client.search_runs([exp_id, private])
    assert [r.info.run_id for r in found] == [run_id]
    run = client.get_run(run_id)
    assert (run.data.metrics, run.data.params) == ({"loss": 0.5}, {"lr": "0.1"})
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.5]
    assert [f.path for f in client.list_artifacts(run_id)] == ["note.txt"]
    local = client.download_artifacts(run_id, "note.txt", str(tmp_path))
    assert Path(local).read_text() == "hello"

    assert _refused(lambda: client.log_metric(run_id, "loss", 0.1)) == "PERMISSION_DENIED"
    assert _refused(lambda: client.set_tag(run_id, "k", "v")) == "PERMISSION_DENIED"
    assert _refused(lambda: client.create_run(exp_id)) == "PERMISSION_DENIED"
    assert _refused(lambda: client.get_experiment(private)) == "PERMISSION_DENIED"
    upload = tmp_path / "more.txt"
    upload.write_text("more")
    with pytest.raises(Exception, match="403"):
        client.log_artifact(run_id, str(upload))
    assert as_user("root").get_run(run_id).data.metrics == {"loss": 0.5}


def test_a_stranger_sees_nothing_and_is_refused(as_user: Callable[[str], Any], shared: Any) -> None:
    exp_id, private, run_id = shared
    client = as_user("stranger")
    assert client.search_experiments() == []
    assert client.search_runs([exp_id, private]) == []
    assert _refused(lambda: client.get_run(run_id)) == "PERMISSION_DENIED"
    assert _refused(lambda: client.get_experiment_by_name("shared")) == "PERMISSION_DENIED"
    assert _refused(lambda: client.get_metric_history(run_id, "loss")) == "PERMISSION_DENIED"
    assert _refused(lambda: client.list_artifacts(run_id)) == "PERMISSION_DENIED"

    # Their own experiment is theirs to manage, as a project made by its first run is.
    mine = client.create_experiment("strangers-own")
    run = client.create_run(mine)
    client.log_metric(run.info.run_id, "acc", 0.9)
    client.delete_run(run.info.run_id)
    assert [e.name for e in client.search_experiments()] == ["strangers-own"]
    assert "strangers-own" in {e.name for e in as_user("root").search_experiments()}


def test_a_writer_logs_but_does_not_delete(
    as_user: Callable[[str], Any], shared: Any, tmp_path: Path
) -> None:
    import mlflow

    exp_id, _, run_id = shared
    client = as_user("writer")
    run = client.create_run(exp_id, run_name="tuned")
    mine = run.info.run_id
    client.log_batch(mine, metrics=[mlflow.entities.Metric("loss", 0.2, 0, 3)])
    client.log_param(mine, "lr", "0.01")
    client.set_tag(mine, "stage", "tuning")
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\0" * 1024)
    client.log_artifact(mine, str(weights))
    client.set_terminated(mine)
    assert client.get_run(mine).data.tags["stage"] == "tuning"
    assert _refused(lambda: client.delete_run(run_id)) == "PERMISSION_DENIED"
    assert _refused(lambda: client.delete_experiment(exp_id)) == "PERMISSION_DENIED"
    assert {r.info.run_name for r in as_user("reader").search_runs([exp_id])} == {
        "baseline",
        "tuned",
    }


def test_the_registry_is_readable_by_all_and_changed_by_its_creator(
    as_user: Callable[[str], Any], shared: Any
) -> None:
    _, _, run_id = shared
    root = as_user("root")
    root.create_registered_model("ranker")
    root.create_model_version("ranker", f"runs:/{run_id}/model", run_id=run_id)

    reader = as_user("reader")
    assert reader.get_registered_model("ranker").name == "ranker"
    assert reader.get_model_version("ranker", "1").run_id == run_id
    assert _refused(lambda: reader.set_registered_model_tag("ranker", "k", "v")) == (
        "PERMISSION_DENIED"
    )
    assert _refused(lambda: reader.delete_registered_model("ranker")) == "PERMISSION_DENIED"

    reader.create_registered_model("readers-model")
    version = reader.create_model_version("readers-model", f"runs:/{run_id}/m", run_id=run_id)
    reader.set_registered_model_alias("readers-model", "champion", version.version)
    stranger = as_user("stranger")
    refused = _refused(lambda: stranger.create_model_version("readers-model", "x", run_id=run_id))
    assert refused == "PERMISSION_DENIED"


def test_missing_or_bad_credentials_are_unauthenticated(
    server: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch, shared: Any
) -> None:
    from mlflow import MlflowClient

    url, _ = server
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    assert _refused(lambda: MlflowClient(url).search_experiments()) == "UNAUTHENTICATED"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tlk_not-a-token")
    assert _refused(lambda: MlflowClient(url).get_run(shared[2])) == "UNAUTHENTICATED"


def test_a_writer_logs_and_registers_a_model_that_a_reader_loads(
    server: tuple[str, dict[str, str]],
    as_user: Callable[[str], Any],
    shared: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow
    import torch

    exp_id, _, _ = shared
    url, _ = server
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    mlflow.set_tracking_uri(url)
    as_user("writer")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x = torch.ones(1, 3)
    with mlflow.start_run(experiment_id=exp_id):
        info = mlflow.pytorch.log_model(
            model,
            name="model",
            registered_model_name="scorer",
            input_example=x.numpy(),
            pip_requirements=["torch==2.13.0"],
        )
    assert as_user("writer").get_logged_model(info.model_id).status.name == "READY"

    as_user("reader")
    loaded = mlflow.pytorch.load_model("models:/scorer/1")
    assert torch.equal(loaded(x), model(x))

    as_user("stranger")
    with pytest.raises(Exception, match=r"PERMISSION_DENIED|403"):
        mlflow.pytorch.load_model("models:/scorer/1")


def _as(server: tuple[str, dict[str, str]], user: str) -> httpx.Client:
    url, tokens = server
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[user]}"})


def test_artifact_listing_checks_the_path_the_handler_lists(
    server: tuple[str, dict[str, str]], shared: Any
) -> None:
    """The rule and the handler read ``path`` with one reader: a JSON body's path (which wins
    over the query string's) cannot aim a listing at a run the user may not read."""
    exp_id, _, run_id = shared
    stranger = _as(server, "stranger")
    own = stranger.post("/api/2.0/mlflow/experiments/create", json={"name": "strangers-files"})
    own_id = own.json()["experiment_id"]
    mine = stranger.post("/api/2.0/mlflow/runs/create", json={"experiment_id": own_id})
    own_run = mine.json()["run"]["info"]["run_id"]
    assert stranger.put(
        f"/api/2.0/mlflow-artifacts/artifacts/{own_id}/{own_run}/artifacts/own.txt", content=b"x"
    ).is_success
    listing = "/api/2.0/mlflow-artifacts/artifacts"
    theirs = f"{exp_id}/{run_id}/artifacts"
    ours = f"{own_id}/{own_run}/artifacts"

    for params, body in [
        ({}, {"path": theirs}),  # in the body only
        ({"path": ours}, {"path": theirs}),  # the query string names the user's own folder
        ({"path": theirs}, {}),  # in the query string only
        ({"path": theirs}, {"path": theirs}),
    ]:
        answer = stranger.request("GET", listing, params=params, json=body or None)
        assert answer.status_code == 403, (params, body, answer.text)
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
        assert "note.txt" not in answer.text and run_id not in answer.text

    # The body's path wins for the check too: the user's own folder is listed.
    answer = stranger.request("GET", listing, params={"path": theirs}, json={"path": ours})
    assert answer.json() == {"files": [{"path": "own.txt", "is_dir": False, "file_size": 1}]}
    assert stranger.get(listing, params={"path": ours}).json() == answer.json()


def test_nothing_links_to_a_run_or_logged_model_the_user_may_not_read(
    server: tuple[str, dict[str, str]], shared: Any
) -> None:
    """A model version, a logged model and a run's model inputs/outputs may only point at runs
    and logged models the user may read: else the version would show their run id and storage
    location."""
    _, private, _ = shared
    root, stranger = _as(server, "root"), _as(server, "stranger")
    hidden = root.post("/api/2.0/mlflow/runs/search", json={"experiment_ids": [private]}).json()[
        "runs"
    ][0]["info"]["run_id"]
    made = root.post(
        "/api/2.0/mlflow/logged-models",
        json={"experiment_id": private, "name": "secret-model", "source_run_id": hidden},
    )
    model_id = made.json()["model"]["info"]["model_id"]

    own = stranger.post("/api/2.0/mlflow/experiments/create", json={"name": "strangers-links"})
    own_id = own.json()["experiment_id"]
    own_run = stranger.post("/api/2.0/mlflow/runs/create", json={"experiment_id": own_id})
    own_run_id = own_run.json()["run"]["info"]["run_id"]
    assert stranger.post("/api/2.0/mlflow/registered-models/create", json={"name": "linker"})

    versions = "/api/2.0/mlflow/model-versions/create"
    for body in [
        {"source": f"models:/{model_id}"},
        {"source": "mlflow-artifacts:/elsewhere", "model_id": model_id},
        {"source": f"runs:/{hidden}/model"},
        {"source": "mlflow-artifacts:/elsewhere", "run_id": hidden},
    ]:
        answer = stranger.post(versions, json={"name": "linker", **body})
        assert answer.status_code == 403, (body, answer.text)
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
        assert hidden not in answer.text
    listed = stranger.get(
        "/api/2.0/mlflow/registered-models/get-latest-versions", params={"name": "linker"}
    )
    assert listed.json().get("model_versions", []) == []

    link = {"models": [{"model_id": model_id}], "run_id": own_run_id}
    for path, body in [
        ("/api/2.0/mlflow/logged-models", {"experiment_id": own_id, "source_run_id": hidden}),
        ("/api/2.0/mlflow/runs/outputs", link),
        ("/api/2.0/mlflow/runs/log-inputs", link),
    ]:
        answer = stranger.post(path, json=body)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
    run = stranger.get("/api/2.0/mlflow/runs/get", params={"run_id": own_run_id}).json()["run"]
    assert model_id not in str(run)

    # Links to what the user may read are made as before.
    ok = stranger.post(versions, json={"name": "linker", "source": f"runs:/{own_run_id}/m"})
    assert ok.json()["model_version"]["version"] == "1", ok.text
    assert root.post(versions, json={"name": "linker", "source": f"models:/{model_id}"}).json()
