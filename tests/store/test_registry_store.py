"""The model registry store on SQLite and PostgreSQL: models, versions, stages, aliases, tags,
search, and the errors bad input gets (nothing stored is lost on a rejected call)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tracklog.errors import AlreadyExistsError, FilterSyntaxError, InvalidValueError, NotFoundError
from tracklog.store.mlflow.logged_models import LoggedModels
from tracklog.store.mlflow.registry import Registry
from tracklog.store.tracking import Store


@pytest.fixture
def registry(store: Store) -> Registry:
    return Registry(store)


def test_models_create_rename_update_delete(registry: Registry) -> None:
    created = registry.create_model("clf", description="first", tags={"team": "nlp"}, user="ann")
    assert (created.name, created.description, created.tags, created.user) == (
        "clf",
        "first",
        {"team": "nlp"},
        "ann",
    )
    with pytest.raises(AlreadyExistsError, match="'clf' already exists"):
        registry.create_model("clf")
    registry.create_version("clf", "s3://bucket/model")
    registry.create_model("other")
    with pytest.raises(AlreadyExistsError, match="'other' already exists"):
        registry.rename_model("clf", "other")
    renamed = registry.rename_model("clf", "classifier")
    assert renamed.tags == {"team": "nlp"}
    assert registry.get_version("classifier", 1).source == "s3://bucket/model"
    with pytest.raises(NotFoundError, match="'clf' does not exist"):
        registry.get_model("clf")
    assert registry.update_model("classifier", "second").description == "second"
    registry.delete_model("classifier")
    with pytest.raises(NotFoundError):
        registry.get_version("classifier", 1)
    assert [m.name for m in registry.search_models()] == ["other"]


def test_bad_names_are_rejected_naming_the_value(registry: Registry) -> None:
    with pytest.raises(InvalidValueError, match="registered model name"):
        registry.create_model("  ")
    registry.create_model("m")
    for bad in ("one", "0", "²", "99999999999", True, 1.5):
        with pytest.raises(InvalidValueError, match="model version must be an integer from 1"):
            registry.get_version("m", bad)
    with pytest.raises(InvalidValueError, match="source must not be empty"):
        registry.create_version("m", " ")
    with pytest.raises(InvalidValueError, match="tag key"):
        registry.set_model_tag("m", "", "v")
    with pytest.raises(InvalidValueError, match="description contains a NUL"):
        registry.update_model("m", "a\x00b")
    with pytest.raises(InvalidValueError, match="source contains a NUL"):
        registry.create_version("m", "/a\x00b")
    assert registry.get_model("m").tags == {}


def test_versions_count_up_and_numbers_are_not_reused(registry: Registry) -> None:
    registry.create_model("m")
    for i in range(3):
        v = registry.create_version("m", f"/models/{i}", tags={"i": str(i)}, description="d")
        assert (v.version, v.status, v.stage, v.tags) == (i + 1, "READY", "None", {"i": str(i)})
    registry.delete_version("m", 3)
    assert registry.create_version("m", "/models/again").version == 4
    with pytest.raises(NotFoundError, match="has no version 3"):
        registry.get_version("m", "3")
    assert registry.update_version("m", "2", "better").description == "better"


def test_stage_transitions_archive_and_latest_versions(registry: Registry) -> None:
    registry.create_model("m")
    for i in range(3):
        registry.create_version("m", f"/models/{i}")
    registry.transition_stage("m", 1, "production")
    registry.transition_stage("m", 2, "Staging")
    moved = registry.transition_stage("m", 3, "Production", archive_existing_versions=True)
    assert moved.stage == "Production"
    assert registry.get_version("m", 1).stage == "Archived"
    assert registry.get_version("m", 2).stage == "Staging"
    assert [v.version for v in registry.latest_versions("m", ["Production"])] == [3]
    assert [(v.stage, v.version) for v in registry.latest_versions("m")] == [
        ("Staging", 2),
        ("Production", 3),
        ("Archived", 1),
    ]
    assert [v.version for v in registry.get_model("m").latest_versions] == [2, 3, 1]
    with pytest.raises(InvalidValueError, match="invalid model version stage 'Prod'"):
        registry.transition_stage("m", 1, "Prod")
    with pytest.raises(InvalidValueError, match="only allowed when moving to Staging"):
        registry.transition_stage("m", 1, "Archived", archive_existing_versions=True)
    assert registry.get_version("m", 1).stage == "Archived"


def test_aliases_point_move_and_go_with_their_version(registry: Registry) -> None:
    registry.create_model("m")
    registry.create_version("m", "/a")
    registry.create_version("m", "/b")
    registry.set_alias("m", "champion", 1)
    registry.set_alias("m", "champion", "2")
    registry.set_alias("m", "challenger", 1)
    assert registry.version_by_alias("m", "champion").version == 2
    assert registry.get_model("m").aliases == {"challenger": 1, "champion": 2}
    assert registry.get_version("m", 1).aliases == ["challenger"]
    for bad in ("latest", "v2", "has space"):
        with pytest.raises(InvalidValueError, match="alias"):
            registry.set_alias("m", bad, 1)
    with pytest.raises(NotFoundError, match="has no version 9"):
        registry.set_alias("m", "x", 9)
    registry.delete_version("m", 1)
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        registry.version_by_alias("m", "challenger")
    registry.delete_alias("m", "champion")
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        registry.delete_alias("m", "champion")


def test_tags_set_replace_delete(registry: Registry) -> None:
    registry.create_model("m")
    registry.create_version("m", "/a")
    registry.set_model_tag("m", "k", "1")
    registry.set_model_tag("m", "k", "2")
    registry.set_version_tag("m", 1, "k", "v")
    assert registry.get_model("m").tags == {"k": "2"}
    assert registry.get_version("m", 1).tags == {"k": "v"}
    registry.delete_model_tag("m", "k")
    registry.delete_version_tag("m", 1, "k")
    with pytest.raises(NotFoundError, match="no tag 'k'"):
        registry.delete_version_tag("m", 1, "k")
    assert registry.get_model("m").tags == {}


def test_search_models_filters_orders_and_pages(registry: Registry) -> None:
    for name in ("bert-base", "bert-large", "gpt", "prompt"):
        registry.create_model(name)
    registry.set_model_tag("gpt", "team", "nlp")
    registry.set_model_tag("prompt", "mlflow.prompt.is_prompt", "true")
    not_prompt = "tag.`mlflow.prompt.is_prompt` != 'true'"
    names = [m.name for m in registry.search_models(not_prompt)]
    assert names == ["bert-base", "bert-large", "gpt"]
    like = registry.search_models(f"name LIKE 'bert%' AND {not_prompt}", ["name DESC"])
    assert [m.name for m in like] == ["bert-large", "bert-base"]
    assert [m.name for m in registry.search_models("tags.team = 'nlp'")] == ["gpt"]
    assert [m.name for m in registry.search_models("name ILIKE 'GPT'")] == ["gpt"]
    assert [m.name for m in registry.search_models("name LIKE 'GPT'")] == []
    first, second = registry.search_models(limit=3), registry.search_models(offset=3, limit=3)
    assert [m.name for m in first + second] == ["bert-base", "bert-large", "gpt", "prompt"]
    with pytest.raises(InvalidValueError, match=r"filter compares name.*not metrics\.acc"):
        registry.search_models("metrics.acc > 1")
    with pytest.raises(FilterSyntaxError, match="expected a quoted string"):
        registry.search_models("name = 3")
    with pytest.raises(FilterSyntaxError, match="unknown identifier 'size'"):
        registry.search_models(order_by=["size"])
    with pytest.raises(InvalidValueError, match=r"ordered by name.*not tags\.team"):
        registry.search_models(order_by=["tags.team"])
    with pytest.raises(FilterSyntaxError, match="OR is not supported"):
        registry.search_models("name = 'a' OR name = 'b'")


def test_search_versions_by_name_run_and_number(registry: Registry, store: Store) -> None:
    run = store.create_run("p")
    registry.create_model("a")
    registry.create_model("b")
    registry.create_version("a", "/a1", run_id=run.id)
    registry.create_version("a", "/a2")
    registry.create_version("b", "/b1", tags={"k": "v"})
    found = registry.search_versions("name = 'a'")
    assert [(v.name, v.version) for v in found] == [("a", 2), ("a", 1)]
    assert [v.source for v in registry.search_versions(f"run_id = '{run.id}'")] == ["/a1"]
    numbered = registry.search_versions("version_number >= 2 AND name IN ('a', 'b')")
    assert [(v.name, v.version) for v in numbered] == [("a", 2)]
    assert [v.name for v in registry.search_versions("tags.k = 'v'")] == ["b"]
    ordered = registry.search_versions(order_by=["version_number ASC", "name DESC"])
    assert [(v.name, v.version) for v in ordered] == [("b", 1), ("a", 1), ("a", 2)]
    with pytest.raises(FilterSyntaxError, match="expected a number"):
        registry.search_versions("version_number > 'x'")


def test_versions_from_a_logged_model_point_at_its_artifacts(
    registry: Registry, store: Store
) -> None:
    run = store.create_run("p")
    logged = LoggedModels(store).create(run.experiment_id, "model", source_run_id=run.id)
    registry.create_model("m")
    version = registry.create_version("m", f"models:/{logged.model_id}")
    assert version.logged_model_id == logged.model_id
    assert version.run_id == run.id
    assert version.download_uri == logged.artifact_location
    plain = registry.create_version("m", "s3://bucket/model")
    assert plain.download_uri == "s3://bucket/model"
    with pytest.raises(NotFoundError, match="logged model m-missing does not exist"):
        registry.create_version("m", "models:/m-missing")
    assert [v.version for v in registry.search_versions("name = 'm'")] == [2, 1]


def test_concurrent_version_creation_gives_distinct_numbers(store_uri: str) -> None:
    stores = [Store(store_uri) for _ in range(4)]
    try:
        Registry(stores[0]).create_model("busy")
        with ThreadPoolExecutor(4) as pool:
            made = list(
                pool.map(
                    lambda i: Registry(stores[i % 4]).create_version("busy", f"/m/{i}").version,
                    range(12),
                )
            )
        assert sorted(made) == list(range(1, 13))
    finally:
        for s in stores:
            s.close()
