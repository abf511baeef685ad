"""``tracklog.Api``: searching runs, reading series and history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tracklog
from tracklog.errors import FilterSyntaxError, InvalidValueError


def _make_runs() -> list[str]:
    ids = []
    for i, (lr, acc) in enumerate([(1e-3, 0.95), (1e-5, 0.91), (2e-5, 0.80), (1e-1, 0.99)]):
        cfg = {"optimizer": {"name": "adamw", "lr": lr}, "model": "bert" if i % 2 else "roberta"}
        with tracklog.init(project="sa", name=f"r{i}", config=cfg) as run:
            run.log({"val_acc": acc / 2})
            run.log({"val_acc": acc})
        ids.append(run.id)
    return ids


def test_filter_and_order_by_on_summaries_and_params(local_store: str) -> None:
    ids = _make_runs()
    api = tracklog.Api()
    found = api.runs(
        "sa",
        filter="metrics.val_acc > 0.9 and params.optimizer.lr < 1e-2",
        order_by=["metrics.val_acc DESC"],
    )
    assert [r.id for r in found] == [ids[0], ids[1]]
    df = found.to_pandas()
    assert list(df["metrics.val_acc"]) == [0.95, 0.91]
    assert list(df["params.optimizer.lr"]) == [1e-3, 1e-5]
    assert [
        r.name for r in api.runs("sa", filter="params.model = 'bert'", order_by="attributes.name")
    ] == [
        "r1",
        "r3",
    ]
    assert len(api.runs("sa", limit=2)) == 2


def test_bad_filter_points_at_the_token(local_store: str) -> None:
    _make_runs()
    with pytest.raises(FilterSyntaxError) as err:
        tracklog.Api().runs("sa", filter="metrics.val_acc >> 1")
    assert err.value.position == 17
    with pytest.raises(InvalidValueError, match="limit"):
        tracklog.Api().runs("sa", limit=0)
    with pytest.raises(tracklog.NotFoundError, match="nosuch"):
        tracklog.Api().runs("nosuch")


def test_series_downsampling_keeps_extremes_and_history_shape(local_store: str) -> None:
    values = np.sin(np.linspace(0, 20, 10_000))
    values[1234] = 50.0
    values[4321] = -50.0
    with tracklog.init(project="ds") as run:
        for i, v in enumerate(values.tolist()):
            run.log({"y": v, "z": 2 * v} if i % 2 == 0 else {"y": v})
    r = tracklog.Api().run(run.id)
    full = r.series("y")
    assert len(full) == 10_000
    small = r.series("y", samples=200)
    assert len(small) <= 200
    assert 50.0 in small.values and -50.0 in small.values
    hist = r.history(["y", "z"])
    assert list(hist.columns) == ["step", "y", "z"]
    assert len(hist) == 10_000 and hist["z"].notna().sum() == 5_000


def test_history_keeps_repeated_steps(local_store: str) -> None:
    with tracklog.init(project="rep") as run:
        run.log({"a": 1.0}, step=0)
        run.log({"a": 2.0}, step=0)
        run.log({"b": 3.0}, step=0)
    hist = tracklog.Api().run(run.id).history()
    assert hist["step"].tolist() == [0, 0]
    assert hist["a"].tolist() == [1.0, 2.0]


def test_runs_load_lazily_in_pages_and_keep_their_order(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.sdk.api import Runs

    ids = _make_runs()
    monkeypatch.setattr(Runs, "PAGE", 3)
    runs = tracklog.Api().runs("sa", order_by=["metrics.val_acc DESC"])
    assert len(runs) == 4 and repr(runs) == "<Runs: 4 runs>"
    expected = [ids[3], ids[0], ids[1], ids[2]]
    assert [r.id for r in runs] == expected
    assert runs[-1].id == ids[2] and [r.id for r in runs[1:3]] == expected[1:3]
    assert runs == list(runs)
    assert tracklog.Api().runs("sa", filter="metrics.val_acc > 5") == []


KILLED_SCRIPT = """
import os, signal, tracklog
run = tracklog.init(project="p", name="victim")
run.log({"x": 1.0})
print(run.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_api_shows_a_killed_run_as_crashed_without_writing(local_store: str) -> None:
    """``Api()`` only reads: a run whose process was killed reads as FAILED (crashed) through
    it, while the stored row stays RUNNING until a writer (init, the CLI, a server) marks it."""
    import subprocess
    import sys

    from tracklog.store.tracking import Store

    done = subprocess.run([sys.executable, "-c", KILLED_SCRIPT], capture_output=True, timeout=120)
    run_id = done.stdout.decode().strip()
    assert done.returncode == -9 and run_id
    api = tracklog.Api()
    (listed,) = api.runs("p")
    for run in (listed, api.run(run_id)):
        assert run.status == "FAILED" and run.error.startswith("crashed: process")
        assert run.end_time is not None
    store = Store(local_store)
    try:
        assert store.get_run(run_id).status == "RUNNING"  # nothing was written
    finally:
        store.close()


def test_run_does_not_import_fluent() -> None:
    """``sdk.fluent`` builds runs, so ``sdk.run`` must not reach back into it, not even lazily
    inside a function: the current-run registry both use lives in ``sdk.current``."""
    import ast

    import tracklog.sdk.run as run_module

    tree = ast.parse(Path(run_module.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names = {
        f"{n.module}.{a.name}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for a in n.names
    }
    assert "tracklog.sdk.fluent" not in imported | names


def test_api_of_a_server_loads_no_run_machinery() -> None:
    """Reading a server through ``Api`` opens a client only: ``init()``'s module, ``Run`` and its
    writer stay unloaded (the tracking URI lives with the store opening, not with ``init``)."""
    import subprocess
    import sys

    code = (
        "import sys, tracklog; tracklog.set_tracking_uri('http://127.0.0.1:9'); tracklog.Api(); "
        "print(sorted(m for m in ('tracklog.sdk.fluent', 'tracklog.sdk.run', "
        "'tracklog.sdk.writer') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "[]"


def test_run_takes_an_unambiguous_id_prefix_as_the_cli_does(local_store: str) -> None:
    first = tracklog.init(project="p", id="abcd1111")
    first.finish()
    tracklog.init(project="p", id="abcd2222").finish()
    api = tracklog.Api()
    assert api.run("abcd1").id == "abcd1111"
    assert api.run("abcd1111").name == first.name
    with pytest.raises(InvalidValueError, match=r"ambiguous; it matches abcd\d{4} .*abcd\d{4} "):
        api.run("abcd")
    with pytest.raises(tracklog.NotFoundError, match="at least 4 characters"):
        api.run("abc")
    with pytest.raises(tracklog.NotFoundError, match="no run with id or id prefix 'zzzz'"):
        api.run("zzzz")
