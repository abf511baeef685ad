"""The W&B surface of ``Run`` and the module: config, summary, define_metric, finish, the
run's attributes, and the module-level calls that follow the current run."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidTypeError, InvalidValueError


def test_config_update_refuses_a_changed_value_and_writes_nothing(local_store: str) -> None:
    with tracklog.init(project="p", config={"lr": 0.1, "opt": {"b1": 0.9}}) as run:
        with pytest.raises(InvalidValueError, match=r"'lr' from 0\.1 to 0\.2.*allow_val_change"):
            run.config.update({"lr": 0.2, "epochs": 3})
        with pytest.raises(InvalidValueError, match=r"opt\.b1"):
            run.config.opt = {"b1": 0.8}
        with pytest.raises(InvalidValueError, match="lr"):
            run.config["lr"] = 1
        run.config.update({"lr": 0.1})  # the same value is no change
        run.config.update({"lr": 0.2}, allow_val_change=True)
    assert tracklog.Api().run(run.id).config == {"lr": 0.2, "opt": {"b1": 0.9}}


def test_config_setdefaults_keys_items_and_as_dict(local_store: str) -> None:
    with tracklog.init(project="p", config={"lr": 0.1}) as run:
        run.config.setdefaults({"lr": 0.5, "epochs": 3})
        assert run.config.lr == 0.1 and run.config.epochs == 3
        assert sorted(run.config.keys()) == ["epochs", "lr"]
        assert dict(run.config.items()) == {"lr": 0.1, "epochs": 3}
        assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}
        assert run.config.get("missing", "d") == "d"
        with pytest.raises(AttributeError, match="missing"):
            _ = run.config.missing
        with pytest.raises(InvalidValueError, match="config"):
            run.config.setdefaults(42)  # type: ignore[arg-type]
    assert tracklog.Api().run(run.id).config == {"lr": 0.1, "epochs": 3}


def test_summary_attribute_and_item_access_and_update(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"acc": 0.5})
        run.summary.best_acc = 0.9
        run.summary["note"] = "ok"
        run.summary.update({"f1": 0.7})
        assert run.summary.acc == 0.5 and run.summary.best_acc == 0.9
        assert run.summary["f1"] == 0.7
        with pytest.raises(AttributeError, match="nothing"):
            _ = run.summary.nothing
        with pytest.raises(InvalidTypeError, match="summary 'bad'"):
            run.summary.bad = object()
    summary = tracklog.Api().run(run.id).summary
    assert summary == {"acc": 0.5, "best_acc": 0.9, "note": "ok", "f1": 0.7}


def test_define_metric_best_follows_the_goal(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.define_metric("loss", summary="best", goal="minimize")
        run.define_metric("val/*", summary="best", goal="maximize")
        run.define_metric("step", step_metric=None, step_sync=True, hidden=True)
        tracklog.define_metric("other", summary="min", overwrite=True)
        for loss, acc in [(0.9, 0.2), (0.3, 0.8), (0.6, 0.5)]:
            run.log({"loss": loss, "val/acc": acc})
        with pytest.raises(InvalidValueError, match=r"best.*goal"):
            run.define_metric("acc", summary="best")
    summary = tracklog.Api().run(run.id).summary
    assert summary["loss"] == 0.3 and summary["val/acc"] == 0.8


def test_finish_takes_exit_code_and_quiet(local_store: str) -> None:
    run = tracklog.init(project="p")
    run.finish(exit_code=3, quiet=True)
    r = tracklog.Api().run(run.id)
    assert r.status == "FAILED" and r.exit_code == 3
    other = tracklog.init(project="p")
    tracklog.finish(quiet=True)
    assert tracklog.Api().run(other.id).status == "FINISHED"


def test_name_is_settable_and_attributes(local_store: str) -> None:
    with tracklog.init(project="p", name="first", entity="me") as run:
        run.name = "renamed"
        assert run.name == "renamed"
        assert run.id and run.project == "p" and run.entity == "me"
        assert run.url is None  # a local store has no web page
        with pytest.raises(InvalidValueError, match="run name"):
            run.name = "   "
        assert run.name == "renamed"
    assert tracklog.Api().run(run.id).name == "renamed"


def test_url_points_at_the_servers_run_page(remote: str) -> None:
    with tracklog.init(project="p") as run:
        assert run.url == f"{remote.rstrip('/')}/#/runs/{run.id}"


def test_run_dir_files_become_run_files_at_finish(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        folder = Path(run.dir)
        (folder / "sub").mkdir()
        (folder / "model.txt").write_text("weights")
        (folder / "sub" / "notes.md").write_text("n")
    assert tracklog.Api().run(run.id).files() == ["model.txt", "sub/notes.md"]


def test_mark_preempting_tags_the_run(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        tracklog.mark_preempting()
    assert "preempting" in tracklog.Api().run(run.id).tags


def test_module_level_calls_follow_the_current_run(local_store: str, tmp_path: Path) -> None:
    Path("out.txt").write_text("x")
    run = tracklog.init(project="p", config={"a": 1})
    tracklog.config.update({"b": 2})
    tracklog.define_metric("loss", summary="min")
    tracklog.log({"loss": 2.0})
    tracklog.log({"loss": 1.0})
    tracklog.log({"loss": 3.0})
    tracklog.summary.extra = 1
    assert tracklog.save("out.txt", policy="now") == ["out.txt"]
    assert tracklog.run is run
    tracklog.finish()
    r = tracklog.Api().run(run.id)
    assert r.config == {"a": 1, "b": 2}
    assert r.summary == {"loss": 1.0, "extra": 1}
    assert r.files() == ["out.txt"]
    for call in (
        lambda: tracklog.save("x"),
        lambda: tracklog.define_metric("x"),
        tracklog.mark_preempting,
    ):
        with pytest.raises(RuntimeError, match="init"):
            call()
