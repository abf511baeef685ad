"""Config as nested JSON with a flattened, typed view and a history of changes."""

from __future__ import annotations

import datetime

import pytest

from tracklog.errors import InvalidTypeError
from tracklog.store.tracking import Store


def test_nested_config_is_flattened_and_typed(store: Store) -> None:
    run = store.create_run("p")
    store.set_config(run.id, {"model": "bert", "optimizer": {"name": "adamw", "lr": 2e-5}})
    got = store.get_run(run.id)
    assert got.config == {"model": "bert", "optimizer": {"name": "adamw", "lr": 2e-5}}
    found = store.search_runs(["p"], filter="params.optimizer.lr < 1e-4")
    assert [r.id for r in found] == [run.id]
    assert store.search_runs(["p"], filter="params.optimizer.name = 'adamw'")


def test_changed_key_keeps_both_values(store: Store) -> None:
    run = store.create_run("p")
    store.set_config(run.id, {"lr": 0.1, "layers": [1, 2]})
    changes = store.set_config(run.id, {"lr": 0.01, "extra": True})
    assert changes == [("lr", 0.1, 0.01)]
    history = store.config_history(run.id)
    assert [(h["key"], h["old"], h["new"]) for h in history] == [("lr", 0.1, 0.01)]
    assert store.get_run(run.id).config == {"lr": 0.01, "layers": [1, 2], "extra": True}


def test_non_json_config_rejected_and_earlier_config_kept(store: Store) -> None:
    run = store.create_run("p")
    store.set_config(run.id, {"lr": 0.1})
    with pytest.raises(InvalidTypeError, match=r"config\.when"):
        store.set_config(run.id, {"when": datetime.date(2026, 1, 1)})
    assert store.get_run(run.id).config == {"lr": 0.1}


def test_search_ids_match_search_order_and_get_runs_keeps_it(store: Store) -> None:
    ids = []
    for lr in (0.3, 0.1, 0.2):
        run = store.create_run("p", config={"lr": lr})
        ids.append(run.id)
    order = ["params.lr ASC"]
    by_ids = store.search_run_ids(["p"], "params.lr < 1", order)
    assert by_ids == [r.id for r in store.search_runs(["p"], "params.lr < 1", order)]
    assert by_ids == [ids[1], ids[2], ids[0]]
    assert [r.id for r in store.get_runs([ids[2], "missing", ids[0]])] == [ids[2], ids[0]]
