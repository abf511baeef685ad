"""Rules both importers share: the optional package is named when missing, a source run whose
id a tracklog run holds already comes in under an id derived from its origin, once, and a value
the store's rules refuse names the source."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from importer_helpers import Import

import tracklog
from tracklog.store.tracking import Store


@pytest.mark.parametrize(
    ("importer", "modules", "message"),
    [
        ("mlflow", ["mlflow"], "pip install mlflow to import MLflow runs"),
        (
            "wandb",
            ["wandb", "wandb.proto.wandb_internal_pb2"],
            "pip install wandb to import W&B runs",
        ),
    ],
)
def test_missing_package_says_what_to_install(
    importer: str,
    modules: list[str],
    message: str,
    run_import: Import,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name in modules:  # None in sys.modules makes the import fail as if not installed
        monkeypatch.setitem(sys.modules, name, None)
    result = run_import(importer, str(tmp_path))
    assert result.exit_code == 1
    assert f"error: {message}" in result.output


def test_taken_id_gets_a_stable_one(
    wandb_data: Path, run_import: Import, api: tracklog.Api, store_at: str
) -> None:
    folder = sorted((wandb_data / "wandb").glob("offline-run-*"))[0]
    wandb_id = folder.name.rsplit("-", 1)[1]
    store = Store(store_at)
    try:
        store.create_run("mine", run_id=wandb_id, name="not from W&B")
    finally:
        store.close()
    first = run_import("wandb", str(folder))
    assert first.exit_code == 0, first.output
    (imported,) = api.runs("nlp")
    assert imported.id != wandb_id
    assert imported.metadata["imported_from"]["run_id"] == wandb_id
    assert api.run(wandb_id).name == "not from W&B"  # untouched
    again = run_import("wandb", str(folder))
    assert f"already imported as {imported.id}" in again.output
    assert len(api.runs()) == 2


def test_value_tracklog_cannot_hold_names_the_source(
    wandb_data: Path, run_import: Import, api: tracklog.Api
) -> None:
    (log,) = (wandb_data / "odd" / "wandb").glob("offline-run-*/run-*.wandb")
    result = run_import("wandb", str(wandb_data / "odd" / "wandb"))
    assert result.exit_code == 1
    assert f"error: {log}: run name is 300 characters long, the limit is 256" in result.output
    assert [p.name for p in api.projects()] == ["Default"]  # nothing imported


def test_an_imported_run_is_written_as_the_stores_rules_clean_it(store: Store) -> None:
    """What the rules clean (a tag's number becomes text, an error past the limit keeps its
    end) is cleaned the same way for an imported run as for one written by the SDK."""
    from tracklog.importers.imported_run import ImportedRun, Origin, SourceRun, import_run
    from tracklog.store import validation

    error = "x" * (validation.MAX_ERROR + 100) + "the last frame"
    run = ImportedRun(
        source="test",
        origin=Origin({"source": "test", "run_id": "a1"}, ("source", "run_id")),
        project="p",
        name="r",
        status="FAILED",
        start_time=1_000,
        end_time=2_000,
        error=error,
        tags={"epochs": 5},  # type: ignore[dict-item]
    )
    outcome = import_run(store, SourceRun(run.origin, "a1", "r", lambda: run))
    stored = store.get_run(outcome.run_id)
    assert stored.error == validation.error_text(error) and stored.error.endswith("last frame")
    assert stored.tags == {"epochs": "5"}
