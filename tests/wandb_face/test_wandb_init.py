"""``init()`` takes W&B's arguments: entity, reinit, config include/exclude lists,
allow_val_change, save_code, and unknown keywords with one warning."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidValueError


def test_unknown_wandb_keywords_warn_once_naming_them(local_store: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = tracklog.init(project="p", force=True, monitor_gym=False, anonymous="never")
    mine = [w for w in caught if "ignores" in str(w.message)]
    assert len(mine) == 1
    assert "anonymous, force, monitor_gym" in str(mine[0].message)
    run.finish()
    assert tracklog.Api().run(run.id).status == "FINISHED"


def test_entity_is_kept_on_the_run_and_defaults_to_the_user(local_store: str) -> None:
    with tracklog.init(project="p", entity="team-a") as run:
        assert run.entity == "team-a"
        assert run.project == "p"
    with tracklog.init(project="p") as other:
        assert isinstance(other.entity, str)


def test_config_include_exclude_keys_and_a_namespace(local_store: str) -> None:
    ns = argparse.Namespace(lr=0.1, epochs=3, debug=True)
    with tracklog.init(project="p", config=ns, config_exclude_keys=["debug"]) as run:
        assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}
    with tracklog.init(
        project="p", config={"lr": 0.1, "epochs": 3}, config_include_keys=["lr"]
    ) as only:
        assert dict(only.config) == {"lr": 0.1}
    assert tracklog.Api().run(run.id).config == {"lr": 0.1, "epochs": 3}


def test_allow_val_change_at_init_lets_the_config_change(local_store: str) -> None:
    with tracklog.init(project="p", config={"lr": 0.1}, allow_val_change=True) as run:
        run.config.lr = 0.01
    history = tracklog.Api().run(run.id).config_history()
    assert [(h["key"], h["old"], h["new"]) for h in history] == [("lr", 0.1, 0.01)]


def test_reinit_policies(local_store: str) -> None:
    first = tracklog.init(project="p")
    assert tracklog.init(project="p", reinit=False) is first
    assert tracklog.init(project="p", reinit="return_previous") is first
    second = tracklog.init(project="p", reinit=True)  # finish_previous
    assert second is not first and tracklog.run is second
    assert tracklog.Api().run(first.id).status == "FINISHED"
    third = tracklog.init(project="p", reinit="create_new")
    assert tracklog.run is third
    third.finish()
    second.finish()


def test_resume_auto_continues_a_run(local_store: str) -> None:
    with tracklog.init(project="p", id="auto1", resume="auto") as run:
        run.log({"x": 1.0})
    with tracklog.init(project="p", id="auto1", resume="auto") as again:
        again.log({"x": 2.0})
    series = tracklog.Api().run("auto1").series("x")
    assert list(series.steps) == [0, 1] and list(series.values) == [1.0, 2.0]


def test_save_code_turns_the_code_capture_on(local_store: str) -> None:
    from tracklog.sdk import init_compat

    assert init_compat.with_save_code(None, True) == {"code": True}
    assert init_compat.with_save_code({"code": False}, True) == {"code": False}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reinit": "sometimes"}, "reinit"),
        ({"save_code": "yes"}, "save_code"),
        ({"config": [1, 2]}, "config"),
    ],
)
def test_bad_wandb_arguments_raise_before_a_run_starts(
    local_store: str, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidValueError, match=match):
        tracklog.init(project="p", **kwargs)  # type: ignore[arg-type]
    assert tracklog.run is None
    assert tracklog.Api().runs() == []


def test_resuming_with_another_config_value_takes_it(local_store: str) -> None:
    with tracklog.init(project="p", id="res1", config={"lr": 0.1}) as run:
        run.log({"x": 1.0})
    with tracklog.init(project="p", id="res1", resume="allow", config={"lr": 0.2}) as again:
        assert again.config.lr == 0.2
        with pytest.raises(InvalidValueError, match="lr"):
            again.config.lr = 0.3  # after init(), W&B's rule again
    history = tracklog.Api().run("res1").config_history()
    assert [(h["key"], h["old"], h["new"]) for h in history] == [("lr", 0.1, 0.2)]


def test_wandb_settings_map_onto_capture_switches(local_store: str) -> None:
    with pytest.warns(UserWarning, match=r"Settings\(\) ignores these arguments: start_method$"):
        settings = tracklog.Settings(
            save_code=True,
            disable_git=True,
            console="off",
            _disable_stats=True,
            x_stats_sampling_interval=30,
            start_method="thread",
        )
    assert settings == {
        "code": True,
        "git": False,
        "console": False,
        "system_metrics": False,
        "system_interval_s": 30,
    }
    with tracklog.init(project="p", settings=settings) as run:
        run.log({"x": 1.0})
    with pytest.raises(InvalidValueError, match="console"):
        tracklog.init(project="p", settings=tracklog.Settings(console=5))


def test_wandb_mode_names(local_store: str) -> None:
    from tracklog.sdk.sync import find_journals

    with tracklog.init(project="p", mode="dryrun") as run:
        assert run.mode == "offline"
    assert [j.name for j in find_journals(Path(local_store) / "offline")] == [run.id]
    with tracklog.init(project="p", mode="shared") as shared:
        assert shared.mode == "online"
