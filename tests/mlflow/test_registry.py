"""The real ``mlflow`` client's model registry calls against a real ``tracklog server``."""

from __future__ import annotations

import httpx
import pytest

# Stages are deprecated in MLflow but still what many teams use; the client warns on each call.
pytestmark = pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0:FutureWarning")


@pytest.fixture
def client(mlflow_uri: str):  # type: ignore[no-untyped-def]
    from mlflow import MlflowClient

    return MlflowClient(mlflow_uri)


def test_registered_models_create_rename_update_delete_search(client) -> None:  # type: ignore[no-untyped-def]
    created = client.create_registered_model("reg-a", tags={"team": "nlp"}, description="first")
    assert (created.name, created.tags, created.description) == ("reg-a", {"team": "nlp"}, "first")
    client.create_registered_model("reg-b")
    client.rename_registered_model("reg-b", "reg-c")
    client.update_registered_model("reg-c", description="renamed")
    got = client.get_registered_model("reg-c")
    assert got.description == "renamed"
    names = [m.name for m in client.search_registered_models(filter_string="name LIKE 'reg-%'")]
    assert names == ["reg-a", "reg-c"]
    tagged = client.search_registered_models(filter_string="tags.team = 'nlp'")
    assert [m.name for m in tagged] == ["reg-a"]
    ordered = client.search_registered_models("name LIKE 'reg-%'", order_by=["name DESC"])
    assert [m.name for m in ordered] == ["reg-c", "reg-a"]
    first = client.search_registered_models("name LIKE 'reg-%'", max_results=1)
    assert [m.name for m in first] == ["reg-a"] and first.token
    rest = client.search_registered_models(
        "name LIKE 'reg-%'", max_results=1, page_token=first.token
    )
    assert [m.name for m in rest] == ["reg-c"]
    client.delete_registered_model("reg-c")
    assert [m.name for m in client.search_registered_models("name LIKE 'reg-%'")] == ["reg-a"]


def test_prompts_stay_out_of_model_searches(client, mlflow_uri: str) -> None:  # type: ignore[no-untyped-def]
    # The client appends tag.`mlflow.prompt.is_prompt` != 'true' to every model search.
    # (The client refuses to create a prompt as a model, so it is made over plain HTTP.)
    api = f"{mlflow_uri}/api/2.0/mlflow/registered-models"
    prompt = {"name": "prompt-x", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}
    httpx.post(f"{api}/create", json=prompt).raise_for_status()
    client.create_registered_model("plain-x")
    assert [m.name for m in client.search_registered_models("name LIKE '%-x'")] == ["plain-x"]
    answer = httpx.get(f"{api}/search", params={"filter": "name LIKE '%-x'"})
    assert [m["name"] for m in answer.json()["registered_models"]] == ["plain-x", "prompt-x"]


def test_versions_stages_aliases_tags_and_download_uri(client) -> None:  # type: ignore[no-untyped-def]
    client.create_registered_model("staged")
    for i in range(3):
        v = client.create_model_version("staged", f"s3://bucket/model-{i}", tags={"i": str(i)})
        assert (v.version, v.status, v.current_stage) == (str(i + 1), "READY", "None")
    client.transition_model_version_stage("staged", "1", "Production")
    moved = client.transition_model_version_stage(
        "staged", "2", "Production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert client.get_model_version("staged", "1").current_stage == "Archived"
    latest = client.get_latest_versions("staged", stages=["Production"])
    assert [v.version for v in latest] == ["2"]

    client.set_registered_model_alias("staged", "champion", "3")
    assert client.get_model_version_by_alias("staged", "champion").version == "3"
    assert client.get_registered_model("staged").aliases == {"champion": "3"}
    client.delete_registered_model_alias("staged", "champion")

    client.set_registered_model_tag("staged", "owner", "ann")
    client.set_model_version_tag("staged", "3", "validated", "yes")
    assert client.get_registered_model("staged").tags == {"owner": "ann"}
    assert client.get_model_version("staged", "3").tags == {"i": "2", "validated": "yes"}
    client.delete_model_version_tag("staged", "3", "validated")
    client.delete_registered_model_tag("staged", "owner")
    assert client.get_model_version("staged", "3").tags == {"i": "2"}

    assert client.get_model_version_download_uri("staged", "2") == "s3://bucket/model-1"
    client.update_model_version("staged", "2", description="best so far")
    assert client.get_model_version("staged", "2").description == "best so far"

    found = client.search_model_versions("name = 'staged' AND tags.i = '0'")
    assert [v.version for v in found] == ["1"]
    every = client.search_model_versions("name = 'staged'", order_by=["version_number ASC"])
    assert [v.version for v in every] == ["1", "2", "3"]
    client.delete_model_version("staged", "3")
    assert [v.version for v in client.search_model_versions("name = 'staged'")] == ["2", "1"]


def test_errors_come_back_as_mlflow_exceptions(client) -> None:  # type: ignore[no-untyped-def]
    from mlflow.exceptions import MlflowException

    client.create_registered_model("errs")
    client.create_model_version("errs", "s3://bucket/errs")
    with pytest.raises(MlflowException, match="already exists") as dup:
        client.create_registered_model("errs")
    assert dup.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException, match="has no version 7") as missing:
        client.get_model_version("errs", "7")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException, match="invalid model version stage") as stage:
        client.transition_model_version_stage("errs", "1", "Live")
    assert stage.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="does not exist"):
        client.get_registered_model("no-such-model")
    with pytest.raises(MlflowException, match="no alias 'gone'"):
        client.get_model_version_by_alias("errs", "gone")
    with pytest.raises(MlflowException, match="filter compares name"):
        client.search_registered_models(filter_string="metrics.acc > 1")
    assert client.get_model_version("errs", "1").current_stage == "None"


def test_bad_requests_are_400_naming_the_argument(mlflow_uri: str) -> None:
    api = f"{mlflow_uri}/api/2.0/mlflow"
    answer = httpx.post(f"{api}/registered-models/create", json={})
    assert answer.status_code == 400
    assert answer.json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "Missing value for required parameter 'name'.",
    }
    answer = httpx.post(f"{api}/registered-models/create", json={"name": "t", "tags": ["x"]})
    assert answer.status_code == 400 and "each item of 'tags'" in answer.json()["message"]
    httpx.post(f"{api}/registered-models/create", json={"name": "t"}).raise_for_status()
    answer = httpx.post(
        f"{api}/model-versions/transition-stage",
        json={"name": "t", "version": "1", "stage": "Staging", "archive_existing_versions": "x"},
    )
    assert answer.status_code == 400 and "archive_existing_versions" in answer.json()["message"]
    answer = httpx.get(f"{api}/model-versions/get", params={"name": "t", "version": "0"})
    assert answer.status_code == 400 and "an integer from 1" in answer.json()["message"]
    # The same routes answer under MLflow's UI prefix.
    ajax = httpx.get(
        f"{mlflow_uri}/ajax-api/2.0/mlflow/registered-models/get", params={"name": "t"}
    )
    assert ajax.json()["registered_model"]["name"] == "t"
