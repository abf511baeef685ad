"""Every SDK call checks its values when it is made, with the store's own rules.

Offline (and with a server) a call is only journaled; a value the store refuses would be
found when the journal is applied, long after the script ended, and that record could never
be synced. So each bad value below must raise at the call in every mode, and a journal
written by a run that made such calls must sync completely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tracklog
from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk import writer
from tracklog.sdk.run import Run
from tracklog.sdk.sync import sync_folder
from tracklog.store.tracking import Store

MODES = ["online", "offline"]

BAD_CALLS: dict[str, Callable[[Run], Any]] = {
    "finish status": lambda run: run.finish(status="completed-ish"),
    "finish status type": lambda run: run.finish(status=3),  # type: ignore[arg-type]
    "finish exit code": lambda run: run.finish(exit_code="1"),  # type: ignore[arg-type]
    "finish exit code range": lambda run: run.finish(exit_code=2**40),
    "tag key": lambda run: run.set_tags({" padded ": "x"}),
    "tag value type": lambda run: run.set_tags({"k": ["a"]}),
    "tag value length": lambda run: run.set_tag("k", "x" * 8001),
    "label": lambda run: setattr(run, "tags", ("ok", "")),
    "notes type": lambda run: setattr(run, "notes", 5),
    "summary key": lambda run: run.summary.update({"": 1}),
    "summary value": lambda run: run.summary.__setitem__("best", object()),
    "define_metric goal": lambda run: run.define_metric("loss", goal="lower"),
    "define_metric summary": lambda run: run.define_metric("loss", summary="median"),
    "define_metric step_metric": lambda run: run.define_metric("loss", step_metric=" step"),
    "artifact name": lambda run: run.log_artifact(__file__, name="../escape.py"),
}


def _sync(store_folder: str, run: Run) -> Store:
    """Apply an offline run's journal to the store; raises if any record is refused."""
    store = Store(store_folder)
    sync_folder(store, Path(store_folder) / "offline" / run.id)
    return store


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", list(BAD_CALLS))
def test_a_bad_value_is_refused_at_the_call(local_store: str, mode: str, call: str) -> None:
    run = tracklog.init(project="p", mode=mode)
    run.log({"loss": 1.0})
    with pytest.raises((InvalidValueError, InvalidTypeError)):
        BAD_CALLS[call](run)
    # Nothing of the refused call was kept: the run goes on and ends as it should.
    run.log({"loss": 2.0})
    run.finish()
    store = _sync(local_store, run) if mode == "offline" else Store(local_store)
    stored = store.get_run(run.id)
    assert stored.status == "FINISHED" and stored.notes is None and stored.labels == []
    assert store.read_series(run.id, "loss")[1].tolist() == [1.0, 2.0]
    assert not list((Path(local_store) / "offline").glob("*-rescue-*"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("completed", "FINISHED"),
        ("Success", "FINISHED"),
        ("SUCCEEDED", "FINISHED"),
        ("finished", "FINISHED"),
        ("failed", "FAILED"),
        ("Crashed", "FAILED"),
        ("killed", "KILLED"),
    ],
)
def test_finish_takes_common_status_names(
    local_store: str, mode: str, given: str, stored: str
) -> None:
    run = tracklog.init(project="p", mode=mode)
    run.log({"loss": 1.0})
    run.finish(status=given)
    store = _sync(local_store, run) if mode == "offline" else Store(local_store)
    assert store.get_run(run.id).status == stored


def test_an_unknown_status_names_the_allowed_ones_and_leaves_the_run_open(
    local_store: str,
) -> None:
    run = tracklog.init(project="p")
    with pytest.raises(InvalidValueError, match="FINISHED, FAILED, KILLED") as refused:
        run.finish(status="RUNNING")
    assert "completed" in str(refused.value)  # the synonyms are named too
    assert Store(local_store).get_run(run.id).status == "RUNNING"
    run.log({"loss": 1.0})  # still open
    run.finish(status="completed")
    assert Store(local_store).get_run(run.id).status == "FINISHED"


def test_good_values_of_every_call_sync_from_a_journal(local_store: str, tmp_path: Path) -> None:
    (tmp_path / "model.txt").write_text("weights")
    run = tracklog.init(project="p", mode="offline")
    run.set_tags({"team": "nlp", "n": 3})
    run.tags = ("a", "b")
    run.notes = "first try"
    run.summary["best"] = {"acc": 0.9}
    run.define_metric("loss", summary="min", goal="minimize", step_metric="epoch")
    run.log_artifact(tmp_path / "model.txt", name="models/model.txt")
    run.log({"loss": 0.5, "epoch": 1})
    run.finish(status="Completed", exit_code=0)
    stored = _sync(local_store, run).get_run(run.id)
    assert stored.status == "FINISHED" and stored.tags == {"team": "nlp", "n": "3"}
    assert stored.labels == ["a", "b"] and stored.notes == "first try"
    assert stored.summary["best"] == {"acc": 0.9} and stored.summary["loss"] == 0.5


BAD_INITS: dict[str, dict[str, Any]] = {
    "notes": {"notes": 5},
    "group": {"group": " "},
    "job type": {"job_type": "x" * 300},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("arg", list(BAD_INITS))
def test_init_refuses_what_the_store_would(local_store: str, mode: str, arg: str) -> None:
    with pytest.raises((InvalidValueError, InvalidTypeError)):
        tracklog.init(project="p", mode=mode, **BAD_INITS[arg])
    assert not list((Path(local_store) / "offline").glob("*/journal.bin"))


@pytest.mark.parametrize("step", [2**63, -(2**63) - 1])
def test_a_step_past_int64_is_refused_at_log(local_store: str, step: int) -> None:
    run = tracklog.init(project="p")
    with pytest.raises(InvalidValueError, match="64-bit"):
        run.log({"loss": 1.0}, step=step)
    run.log({"loss": 2.0}, step=2**63 - 1)  # the last step there is
    with pytest.raises(InvalidValueError, match="64-bit"):
        run.log({"loss": 3.0})  # the run's own counter has nowhere to go
    run.finish()
    assert Store(local_store).read_series(run.id, "loss")[1].tolist() == [2.0]


BAD_CONFIGS: dict[str, dict[str, Any]] = {
    "nested key": {"optimizer": {"l\nr": 0.1}},
    "long flattened key": {"a" * 200: {"b" * 60: 1}},
    "long value": {"prompt": "x" * 65_537},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("config", list(BAD_CONFIGS))
def test_config_is_checked_as_the_store_flattens_it(
    local_store: str, mode: str, config: str
) -> None:
    run = tracklog.init(project="p", mode=mode, config={"lr": 0.1})
    with pytest.raises(InvalidValueError, match="config"):
        run.config.update(BAD_CONFIGS[config])
    assert run.config.as_dict() == {"lr": 0.1}
    run.finish()
    with pytest.raises(InvalidValueError, match="config"):
        tracklog.init(project="p", mode=mode, config=BAD_CONFIGS[config])
    store = _sync(local_store, run) if mode == "offline" else Store(local_store)
    assert store.get_run(run.id).config == {"lr": 0.1}


def test_a_refused_init_leaves_no_writer_behind(local_store: str) -> None:
    before = len(writer._flusher._writers)
    with pytest.raises(InvalidValueError):
        tracklog.init(project="p", config={"a": "x" * 65_537})
    assert len(writer._flusher._writers) == before


def test_an_init_the_store_refuses_leaves_no_writer_behind(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refuses the run only when it is created (here: a login name longer than
    the store keeps), after the run's writer started: it must be stopped again."""
    monkeypatch.setenv("LOGNAME", "u" * 300)
    before = len(writer._flusher._writers)
    with pytest.raises(InvalidValueError, match="user is 300 characters long"):
        tracklog.init(project="p")
    assert len(writer._flusher._writers) == before
