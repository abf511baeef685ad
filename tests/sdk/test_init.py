"""``tracklog.init()``: statuses, resume, modes, config and module-level shortcuts."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import tracklog
from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError


def test_context_manager_marks_finished_failed_and_killed(local_store: str) -> None:
    with tracklog.init(project="p") as ok:
        pass
    with pytest.raises(ZeroDivisionError), tracklog.init(project="p") as bad:
        1 / 0  # noqa: B018
    with pytest.raises(KeyboardInterrupt), tracklog.init(project="p") as stopped:
        raise KeyboardInterrupt
    api = tracklog.Api()
    assert api.run(ok.id).status == "FINISHED"
    failed = api.run(bad.id)
    assert failed.status == "FAILED" and "ZeroDivisionError" in failed.error
    assert api.run(stopped.id).status == "KILLED"


def test_finish_with_exit_code(local_store: str) -> None:
    run = tracklog.init(project="p")
    run.finish(exit_code=3)
    r = tracklog.Api().run(run.id)
    assert (r.status, r.exit_code) == ("FAILED", 3)


def test_resume_modes(local_store: str) -> None:
    with tracklog.init(project="p", id="fixed01") as first:
        first.log({"x": 1.0})
    with pytest.raises(AlreadyExistsError, match="fixed01"):
        tracklog.init(project="p", id="fixed01")
    with pytest.raises(AlreadyExistsError):
        tracklog.init(project="p", id="fixed01", resume="never")
    with pytest.raises(NotFoundError, match="other"):
        tracklog.init(project="p", id="other", resume="must")
    with tracklog.init(project="p", id="fixed01", resume="must") as again:
        assert again.step == 1
        again.log({"x": 2.0})
    r = tracklog.Api().run("fixed01")
    assert r.status == "FINISHED" and r.series("x").values.tolist() == [1.0, 2.0]
    assert r.series("x").steps.tolist() == [0, 1]


def test_bad_arguments_are_named(local_store: str) -> None:
    with pytest.raises(InvalidValueError, match="mode"):
        tracklog.init(project="p", mode="sideways")
    with pytest.raises(InvalidValueError, match="resume"):
        tracklog.init(project="p", resume="maybe")
    with pytest.raises(InvalidValueError, match="run id"):
        tracklog.init(project="p", id="has space")
    with pytest.raises(InvalidValueError, match="project"):
        tracklog.init(project="  ")
    with pytest.raises(InvalidValueError, match="config"):
        tracklog.init(project="p", config=[1, 2])  # type: ignore[arg-type]


def test_config_access_update_and_allowed_change(local_store: str) -> None:
    with tracklog.init(project="p", config={"optimizer": {"name": "adamw", "lr": 2e-5}}) as run:
        assert run.config.optimizer["lr"] == 2e-5
        assert run.config["optimizer"]["name"] == "adamw"
        run.config.batch_size = 32
        run.config.update({"epochs": 3})
        with pytest.raises(InvalidValueError, match=r"optimizer\.lr"):
            run.config.update({"optimizer": {"lr": 1e-4}, "new": 1})
        assert "new" not in run.config  # nothing of a refused update is written
        run.config.update({"optimizer": {"lr": 1e-4}}, allow_val_change=True)
    r = tracklog.Api().run(run.id)
    assert r.config == {
        "optimizer": {"name": "adamw", "lr": 1e-4},
        "batch_size": 32,
        "epochs": 3,
    }
    assert [(h["key"], h["old"], h["new"]) for h in r.config_history()] == [
        ("optimizer.lr", 2e-5, 1e-4)
    ]


def test_module_level_shortcuts_follow_the_current_run(local_store: str) -> None:
    assert tracklog.run is None
    run = tracklog.init(project="p", config={"a": 1}, tags=["x"], notes="n")
    assert tracklog.run is run
    tracklog.log({"loss": 1.0})
    assert tracklog.config["a"] == 1
    tracklog.summary["best"] = 2.0
    tracklog.finish()
    assert tracklog.run is None
    r = tracklog.Api().run(run.id)
    assert r.labels == ["x"] and r.notes == "n" and r.summary["best"] == 2.0
    with pytest.raises(RuntimeError, match="init"):
        tracklog.log({"loss": 1.0})


def test_disabled_mode_logs_nothing(local_store: str) -> None:
    with tracklog.init(project="p", mode="disabled") as run:
        run.log({"a": 1.0})
        run.config.update({"lr": 1})
    assert tracklog.Api().runs() == []


def test_artifacts_and_save(
    local_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("config.yaml").write_text("lr: 1")
    Path("logs").mkdir()
    Path("logs/a.txt").write_text("a")
    with tracklog.init(project="p") as run:
        run.log_artifact("config.yaml")
        run.log_artifact("config.yaml", name="copies/cfg.yaml")
        assert run.save("logs/*.txt") == ["logs/a.txt"]
        with pytest.raises(InvalidValueError, match=r"missing\.txt"):
            run.log_artifact("missing.txt")
    r = tracklog.Api().run(run.id)
    assert r.files() == ["config.yaml", "copies/cfg.yaml", "logs/a.txt"]
    assert r.download("copies/cfg.yaml", tmp_path / "dl").read_text() == "lr: 1"


def test_config_change_error_is_not_raised_for_equal_value(local_store: str) -> None:
    with tracklog.init(project="p", config={"a": 1}) as run, warnings.catch_warnings():
        warnings.simplefilter("error")
        run.config.update({"a": 1})


EXIT_SCRIPT = """
import sys, tracklog
run = tracklog.init(project="p", name=sys.argv[1])
for i in range(1000):
    run.log({"x": float(i)})
if sys.argv[1] == "crash":
    raise ValueError("boom")
"""


@pytest.mark.parametrize(("how", "status"), [("clean", "FINISHED"), ("crash", "FAILED")])
def test_interpreter_exit_drains_and_finishes(local_store: str, how: str, status: str) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", EXIT_SCRIPT, how], capture_output=True, timeout=60)
    (run,) = tracklog.Api().runs("p")
    assert run.name == how and run.status == status
    assert len(run.series("x")) == 1000
    if how == "crash":
        assert "ValueError: boom" in run.error
