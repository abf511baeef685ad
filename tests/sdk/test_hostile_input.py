"""Values and sequences that once broke the write path: each must be refused with a clear
error or stored, and never stall the points logged after it."""

from __future__ import annotations

import math

import pytest

import tracklog
from tracklog.errors import InvalidValueError
from tracklog.store.tracking import Store


def test_int_too_large_for_float_is_refused_by_name(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"a": 1.0, "b": 1})
        with pytest.raises(InvalidValueError, match="'b'"):
            run.log({"a": 2.0, "b": 10**400})
        run.log({"a": 3.0, "b": 3})
    # The refused value's neighbours are logged (issue 15: a bad value drops only itself).
    assert tracklog.Api().run(run.id).series("a").values.tolist() == [1.0, 2.0, 3.0]


def test_huge_ints_that_cancel_out_are_stored_as_infinities(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.log({"x": 1, "y": 2})
        run.log({"x": 10**400, "y": -(10**400)})
        run.log({"x": 5, "y": 6})
        assert run._writer.is_alive()
    r = tracklog.Api().run(run.id)
    assert r.series("x").values.tolist() == [1.0, math.inf, 5.0]
    assert r.series("y").values.tolist() == [2.0, -math.inf, 6.0]


def test_sum_overflowing_to_nan_does_not_block_later_points(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.define_metric("g", summary="mean")
        run.log({"g": 1.7e308})
        run.log({"g": 1.7e308})
        run._writer.flush()
        run.log({"g": -1.7e308})
        run.log({"g": -1.7e308})
        run._writer.flush()
        for i in range(5):
            run.log({"g": float(i), "other": float(i)})
    r = tracklog.Api().run(run.id)
    assert r.status == "FINISHED"
    assert len(r.series("g")) == 9 and r.series("other").values.tolist() == [0, 1, 2, 3, 4]
    assert r.summary["g"] is None or math.isnan(r.summary["g"])


def test_points_for_a_run_purged_meanwhile_are_saved_not_lost(
    local_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tracklog.init(project="p")
    run.log({"a": 1.0})
    run._writer.flush()
    store = Store(local_store)
    with store.engine.begin() as conn:  # another process purges the run
        conn.exec_driver_sql("DELETE FROM runs WHERE id = ?", (run.id,))
    for i in range(10):
        run.log({"a": float(i)})
    with pytest.warns(UserWarning, match="refused"):
        run.finish()
    err = capsys.readouterr().err
    assert "10 points were not written because the store refused them" in err
    assert "`tracklog sync" in err and "to apply them and the run's end" in err


def test_disabled_mode_buffers_nothing_and_has_a_summary(local_store: str) -> None:
    with tracklog.init(project="p", mode="disabled") as run:
        for i in range(10_000):
            run.log({"a": float(i)})
        run.track(1.0, name="b", context={"s": "v"})
        assert len(run._writer.rows) == 0 and len(run._writer.tracks) == 0
        run.summary["best"] = 1.0
        assert dict(run.summary) == {"best": 1.0}


def test_exact_define_metric_beats_glob_and_later_glob_wins(local_store: str) -> None:
    with tracklog.init(project="p", id="defs01") as run:
        run.define_metric("*", summary="max")
        run.define_metric("loss", summary="min")
        run.define_metric("val/*", summary="first")
        for v in (3.0, 1.0, 2.0):
            run.log({"loss": v, "acc": v, "val/acc": v})
    assert tracklog.Api().run(run.id).summary == {"acc": 3.0, "loss": 1.0, "val/acc": 3.0}
    with tracklog.init(project="p", id="defs01", resume="allow") as again:
        again.define_metric("acc", summary="last")
        again.log({"loss": 5.0, "acc": 0.5})
    assert tracklog.Api().run(run.id).summary == {"acc": 0.5, "loss": 1.0, "val/acc": 3.0}


def test_track_and_log_on_one_series_keep_arrival_order(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.track(1.0, name="loss", step=0)
        run.log({"loss": 2.0}, step=0)
    r = tracklog.Api().run(run.id)
    assert r.series("loss").values.tolist() == [1.0, 2.0]
    assert r.summary["loss"] == 2.0


def test_resume_continues_after_the_highest_step(local_store: str) -> None:
    with tracklog.init(project="p", id="res01") as run:
        for i in range(100):
            run.log({"loss": float(i)})
        run.log({"loss": -1.0}, step=10)
        run.track(0.5, name="acc", context={"s": "val"})
    with tracklog.init(project="p", id="res01", resume="must") as again:
        assert again.step == 100
        again.track(0.6, name="acc", context={"s": "val"})
    assert tracklog.Api().run("res01").series("acc", {"s": "val"}).steps.tolist() == [0, 1]


def test_bad_epoch_in_track_writes_nothing(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        with pytest.raises(InvalidValueError, match="epoch"):
            run.track(0.5, name="acc", epoch="x")  # type: ignore[arg-type]
        run.track(0.7, name="acc")
    s = tracklog.Api().run(run.id).series("acc")
    assert s.steps.tolist() == [0] and s.values.tolist() == [0.7]


def test_offline_summary_is_current(local_store: str) -> None:
    with tracklog.init(project="p", mode="offline") as run:
        run.log({"a": 1.0})
        run._writer.flush()  # the first value is written before the second is logged
        run.log({"a": 2.0})
        assert run.summary["a"] == 2.0


def test_numeric_strings_filter_as_numbers_and_bool_to_int_is_a_change(local_store: str) -> None:
    run = tracklog.init(project="p", config={"lr": "0.001", "amp": True})
    with pytest.raises(InvalidValueError, match="amp"):
        run.config.update({"amp": 1})
    run.config.update({"amp": 1}, allow_val_change=True)
    run.finish()
    api = tracklog.Api()
    assert [r.id for r in api.runs("p", filter="params.lr < 0.01")] == [run.id]
    assert [(h["key"], h["old"], h["new"]) for h in api.run(run.id).config_history()] == [
        ("amp", True, 1)
    ]


def test_define_metric_after_logging_applies_to_earlier_points(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        for v in (3.0, 1.0, 2.0):
            run.log({"loss": v})
        run._writer.flush()
        run.define_metric("loss", summary="min")
        assert run.summary["loss"] == 1.0


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_deep_or_long_values_are_refused_at_the_call(local_store: str, mode: str) -> None:
    from tracklog.store.validation import MAX_JSON_DEPTH, MAX_JSON_STRING, MAX_NOTES

    def nested(depth: int) -> object:
        value: object = 1
        for _ in range(depth):
            value = [value]
        return value

    with pytest.raises(InvalidValueError, match="notes"):
        tracklog.init(project="p", mode=mode, notes="n" * (MAX_NOTES + 1))
    with tracklog.init(project="p", mode=mode) as run:
        with pytest.raises(InvalidValueError, match=f"'x'.*more than {MAX_JSON_DEPTH}"):
            run.summary["x"] = nested(MAX_JSON_DEPTH + 1)
        with pytest.raises(InvalidValueError, match=f"'s'.*{MAX_JSON_STRING}"):
            run.summary.update({"s": "s" * (MAX_JSON_STRING + 1)})
        with pytest.raises(InvalidValueError, match=f"config.x.*more than {MAX_JSON_DEPTH}"):
            run.config.update({"x": nested(MAX_JSON_DEPTH)})  # the config is one level itself
        with pytest.raises(InvalidValueError, match="notes"):
            run.notes = "n" * (MAX_NOTES + 1)
        run.summary["x"] = nested(MAX_JSON_DEPTH)
        run.notes = "fits"
    if mode == "online":
        stored = tracklog.Api().run(run.id)
        assert stored.summary["x"] == nested(MAX_JSON_DEPTH) and stored.notes == "fits"
