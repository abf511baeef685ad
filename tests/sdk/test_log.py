"""``run.log()`` semantics (W&B's), Aim-style ``track()`` and bad values."""

from __future__ import annotations

import numpy as np
import pytest

import tracklog
from tracklog.errors import InvalidTypeError, InvalidValueError, RunFinishedError


def test_steps_auto_increment_and_commit_false_accumulates(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"a": 1.0})
        run.log({"a": 2.0})
        run.log({"b": 10.0}, commit=False)
        run.log({"c": 20.0})
        assert run.step == 3
    api = tracklog.Api()
    r = api.run(run.id)
    assert r.series("a").steps.tolist() == [0, 1]
    assert r.series("b").steps.tolist() == [2] and r.series("c").steps.tolist() == [2]


def test_explicit_lower_steps_are_stored(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"x": 1.0}, step=10)
        run.log({"x": 2.0}, step=3)
        run.log({"x": 3.0})
        assert run.step == 12
    s = tracklog.Api().run(run.id).series("x")
    assert s.steps.tolist() == [3, 10, 11]
    assert s.values.tolist() == [2.0, 1.0, 3.0]


def test_nested_dicts_flatten_with_slash_and_numbers_convert(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"train": {"loss": np.float32(0.5), "acc": np.array(0.25)}, "flag": True})
    r = tracklog.Api().run(run.id)
    assert r.series("train/loss").values.tolist() == [0.5]
    assert r.series("train/acc").values.tolist() == [0.25]
    assert r.series("flag").values.tolist() == [1.0]


def test_non_numeric_value_names_the_key_and_keeps_earlier_points(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"loss": 1.0})
        with pytest.raises(InvalidTypeError, match="'bad'"):
            run.log({"bad": [1.0]})
        with pytest.raises(InvalidTypeError, match="'arr'"):
            run.log({"arr": np.zeros(3)})
        with pytest.raises(InvalidValueError, match="metric key"):
            run.log({"": 1.0})
        with pytest.raises(InvalidValueError, match="step"):
            run.log({"loss": 1.0}, step=float("inf"))
    assert tracklog.Api().run(run.id).series("loss").values.tolist() == [1.0]


def test_log_after_finish_raises(local_store: str) -> None:
    run = tracklog.init(project="p")
    run.finish()
    with pytest.raises(RunFinishedError):
        run.log({"a": 1.0})


def test_track_with_context_and_epoch(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        for i in range(3):
            run.track(0.5 + i / 10, name="accuracy", epoch=i, context={"subset": "val"})
        run.track(0.9, name="accuracy", context={"subset": "train"})
        with pytest.raises(InvalidTypeError, match="context"):
            run.track(1.0, name="accuracy", context=["not", "a", "dict"])  # type: ignore[arg-type]
    r = tracklog.Api().run(run.id)
    val = r.series("accuracy", context={"subset": "val"})
    assert val.steps.tolist() == [0, 1, 2]
    assert val.values.tolist() == pytest.approx([0.5, 0.6, 0.7])
    assert r.series("epoch", context={"subset": "val"}).values.tolist() == [0.0, 1.0, 2.0]
    assert r.series("accuracy", context={"subset": "train"}).values.tolist() == [0.9]


def test_epoch_is_one_point_per_step_however_many_values_are_tracked(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        for step in range(3):
            for name in ("loss", "acc", "lr"):
                run.track(step / 10, name=name, step=step, epoch=step // 2)
                run.track(step / 10, name=name, step=step, epoch=step // 2, context={"s": "v"})
        run.track(1.0, name="loss", step=2, epoch=5)  # a new epoch at the same step is kept
    r = tracklog.Api().run(run.id)
    plain = r.series("epoch")
    assert (plain.steps.tolist(), plain.values.tolist()) == ([0, 1, 2, 2], [0.0, 0.0, 1.0, 5.0])
    in_context = r.series("epoch", context={"s": "v"})
    assert (in_context.steps.tolist(), in_context.values.tolist()) == ([0, 1, 2], [0.0, 0.0, 1.0])
    assert r.series("acc", context={"s": "v"}).steps.tolist() == [0, 1, 2]


def test_summary_defaults_to_last_and_define_metric(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.define_metric("val/*", summary="max", goal="maximize")
        for v in (0.2, 0.8, 0.5):
            run.log({"val/acc": v, "loss": v})
        assert run.summary["loss"] == 0.5
        assert run.summary["val/acc"] == 0.8
        run.summary["best"] = 0.99
        with pytest.raises(InvalidValueError, match="summary"):
            run.define_metric("x", summary="median")
    assert tracklog.Api().run(run.id).summary == {"best": 0.99, "loss": 0.5, "val/acc": 0.8}


def test_mlflow_style_aliases(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log_param("lr", 0.1)
        run.log_params({"layers": 3})
        run.log_metric("loss", 1.0, step=5)
        run.log_metrics({"loss": 0.5, "acc": 0.1})
        run.set_tag("team", "nlp")
        run.set_tags({"owner": "ana"})
    r = tracklog.Api().run(run.id)
    assert r.config == {"lr": 0.1, "layers": 3}
    assert r.series("loss").steps.tolist() == [5, 6]
    assert r.tags == {"team": "nlp", "owner": "ana"}


def test_contexts_equal_as_dicts_but_not_as_json_stay_apart(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        ctx = {"fold": 1}
        run.track(1.0, name="acc", context=ctx)
        run.track(2.0, name="acc", context={"fold": True})
        run.track(3.0, name="acc", context={"fold": 1.0})
        ctx["fold"] = 2  # the same dict, changed: another context
        run.track(4.0, name="acc", context=ctx)
        run.track(5.0, name="acc", context={})
        for bad in ([], {"fold": [1]}, {1: "a"}):
            with pytest.raises((InvalidTypeError, InvalidValueError)):
                run.track(0.0, name="acc", context=bad)  # type: ignore[arg-type]
    r = tracklog.Api().run(run.id)
    for context, value in (({"fold": 1}, 1.0), ({"fold": True}, 2.0), ({"fold": 1.0}, 3.0)):
        assert r.series("acc", context=context).values.tolist() == [value]
    assert r.series("acc", context={"fold": 2}).values.tolist() == [4.0]
    assert r.series("acc").values.tolist() == [5.0]
