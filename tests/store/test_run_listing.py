"""Runs as MLflow's listings read them: columns, params as JSON text, tags, latest metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tracklog.store import engine
from tracklog.store.mlflow import MlflowStore
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store


def _points(key: str, steps: list[int], values: list[float]) -> SeriesPoints:
    n = len(steps)
    return SeriesPoints(
        key, "", np.array(steps, np.int64), np.array(values), np.arange(n, dtype=np.int64) + 7
    )


def test_listing_matches_the_run_record(store: Store) -> None:
    odd = 'quote " backslash \\ newline \n tab \t ünïcode ✓'
    a = store.create_run("p", name="a", user="ann", notes="n1")
    store.set_config(a.id, {"lr": 0.1, "opt": {"name": odd, "betas": [0.9, 0.99]}, "on": True})
    store.set_tags(a.id, {"team": "x", "mlflow.source.name": odd})
    store.append_metrics(a.id, [_points("loss", [0, 1, 2], [3.0, 2.0, float("nan")])])
    b = store.create_run("p", name="b")  # no params, tags or metrics
    found = MlflowStore(store).run_listings([b.id, "no-such-run", a.id, b.id])
    assert [r.id for r in found] == [b.id, a.id, b.id]
    got_b, got_a = found[0], found[1]
    params = {p["key"]: p["value"] for p in json.loads(got_a.params_json)}
    assert params == {"lr": "0.1", "opt.name": odd, "opt.betas": "[0.9, 0.99]", "on": "true"}
    assert (got_a.name, got_a.user, got_a.notes, got_a.status) == ("a", "ann", "n1", "RUNNING")
    assert got_a.tags == {"team": "x", "mlflow.source.name": odd}
    ((loss),) = got_a.metrics
    assert (loss.key, loss.step, loss.timestamp) == ("loss", 2, 9) and np.isnan(loss.value)
    assert (got_b.params_json, got_b.tags, got_b.metrics) == ("[]", {}, [])
    assert MlflowStore(store).run_listings([]) == []


def test_ids_are_read_in_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = [store.create_run("p", name=f"r{i}") for i in range(5)]
    for r in runs:
        store.set_config(r.id, {"i": r.name})
    monkeypatch.setattr(engine, "IN_BATCH", 2)  # 5 runs: three IN lists
    found = MlflowStore(store).run_listings([r.id for r in reversed(runs)])
    assert [r.name for r in found] == ["r4", "r3", "r2", "r1", "r0"]
    assert [json.loads(r.params_json) for r in found] == [
        [{"key": "i", "value": f"r{i}"}] for i in (4, 3, 2, 1, 0)
    ]
