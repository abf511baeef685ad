"""With ``--auth``, the MLflow API takes the mlflow client's credentials: an admin may do
everything, a user without a grant is refused (per-project grants: test_mlflow_permissions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inprocess import auth_socket_server


@pytest.fixture(scope="module")
def authed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    folder: Path = tmp_path_factory.mktemp("mlflow-auth")
    with auth_socket_server(folder, {"root": True, "alice": False}) as (server, tokens):
        yield server.url, tokens


def _code(call: object) -> str:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as info:
        call()  # type: ignore[operator]
    return info.value.error_code


def test_admin_logs_others_are_refused(
    authed: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    url, tokens = authed
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", tokens["root"])
    client = MlflowClient(url)
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "x", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"x": 1.0}

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", tokens["alice"])
    assert _code(lambda: MlflowClient(url).get_run(run.info.run_id)) == "PERMISSION_DENIED"
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    assert _code(lambda: MlflowClient(url).get_run(run.info.run_id)) == "UNAUTHENTICATED"


def test_registry_records_the_authenticated_user(
    authed: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    url, tokens = authed
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", tokens["root"])
    client = MlflowClient(url, registry_uri=url)
    client.create_registered_model("owned")
    version = client.create_model_version("owned", "mlflow-artifacts:/0/x")
    assert version.user_id == "root"
    assert client.get_model_version("owned", "1").user_id == "root"
