"""Hyperband: which running trials fall behind at a bracket."""

from __future__ import annotations

from tracklog.store.sweep_config import Hyperband
from tracklog.sweeps.hyperband import to_stop


def test_wandb_example_stops_the_trial_behind_at_its_bracket() -> None:
    rule = Hyperband(bands=(1, 2), eta=2, strict=True)
    histories = {
        "a": [10, 9],
        "b": [10, 10],
        "c": [10, 8, 8],
        "d": [10, 7, 7],
        "e": [10, 6, 6],
    }
    assert to_stop(rule, "minimize", histories, running={"b", "c", "d"}) == {"b", "c"}


def test_maximize_flips_the_comparison_and_finished_trials_are_not_stopped() -> None:
    rule = Hyperband(bands=(1,), eta=2, strict=True)
    histories = {"a": [0, 0.9], "b": [0, 0.1], "c": [0, 0.5]}
    assert to_stop(rule, "maximize", histories, running={"b", "c"}) == {"b"}
    assert to_stop(rule, "maximize", histories, running=set()) == set()


def test_lenient_mode_judges_the_best_value_up_to_the_bracket() -> None:
    histories = {"a": [1, 5], "b": [3, 3], "c": [4, 2]}
    strict = Hyperband(bands=(1,), eta=3, strict=True)
    lenient = Hyperband(bands=(1,), eta=3, strict=False)
    assert to_stop(strict, "minimize", histories, running={"a"}) == {"a"}
    assert to_stop(lenient, "minimize", histories, running={"a"}) == set()


def test_no_bracket_reached_stops_nothing() -> None:
    rule = Hyperband(bands=(3,), eta=3, strict=False)
    assert to_stop(rule, "minimize", {"a": [9, 9], "b": [1, 1]}, running={"a"}) == set()


def test_a_trial_behind_at_an_earlier_bracket_is_stopped_later_too() -> None:
    # Checked late: the trial is alone past bracket 2, but was behind at bracket 1.
    rule = Hyperband(bands=(1, 2, 4), eta=2, strict=True)
    histories = {"a": [1, 1], "b": [2, 2], "c": [3, 3, 3, 3, 3, 3]}
    assert to_stop(rule, "minimize", histories, running={"c"}) == {"c"}
