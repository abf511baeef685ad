"""The sweep config: W&B's keys accepted, every bad input an error naming its key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracklog.errors import InvalidValueError
from tracklog.store import sweep_config

TYPICAL_YAML = """
program: train.py
method: bayes
name: typical
description: a typical W&B sweep
metric: {name: val_loss, goal: minimize, target: 0.01}
run_cap: 20
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args}
parameters:
  learning_rate: {distribution: uniform, min: 0.0001, max: 0.1}
  batch_size: {values: [16, 32, 64], probabilities: [0.5, 0.25, 0.25]}
  optimizer: {values: [adam, sgd]}
  model:
    parameters:
      layers: {min: 1, max: 4}
      dropout: {distribution: q_uniform, min: 0, max: 0.5, q: 0.1}
early_terminate: {type: hyperband, min_iter: 3, eta: 2, s: 3}
"""


def test_a_typical_yaml_sweep_parses(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(TYPICAL_YAML)
    cfg = sweep_config.load(path)
    assert cfg.method == "bayes" and cfg.run_cap == 20 and cfg.program == "train.py"
    assert cfg.metric == sweep_config.Metric("val_loss", "minimize", 0.01)
    by_path = {p.path: p for p in cfg.params}
    assert sorted(by_path) == [
        "batch_size",
        "learning_rate",
        "model.dropout",
        "model.layers",
        "optimizer",
    ]
    assert by_path["model.layers"].distribution == "int_uniform"  # inferred from int bounds
    assert by_path["batch_size"].probabilities == (0.5, 0.25, 0.25)
    assert cfg.early_terminate == sweep_config.Hyperband((3, 6, 12), 2, False)
    assert cfg.trial_limit() == 20


def test_every_distribution_is_accepted_with_its_keys() -> None:
    params: dict[str, Any] = {
        d: {"distribution": d, "min": 1, "max": 2}
        for d in sweep_config.DISTRIBUTIONS
        if d not in ("constant", "categorical", "normal", "q_normal", "log_normal")
        and d not in ("q_log_normal", "beta", "q_beta")
    }
    params["constant"] = {"distribution": "constant", "value": 3}
    params["categorical"] = {"distribution": "categorical", "values": [1, "a"]}
    for d in ("normal", "q_normal", "log_normal", "q_log_normal"):
        params[d] = {"distribution": d, "mu": 1, "sigma": 0.5}
    params["beta"] = {"distribution": "beta", "a": 2, "b": 3}
    params["q_beta"] = {"distribution": "q_beta", "a": 2, "b": 3, "q": 0.1}
    cfg = sweep_config.parse({"method": "random", "parameters": params})
    assert {p.distribution for p in cfg.params} == set(sweep_config.DISTRIBUTIONS)


def test_hyperband_brackets_from_max_iter() -> None:
    cfg = sweep_config.parse(
        {
            "method": "random",
            "metric": {"name": "loss"},
            "parameters": {"x": {"values": [1]}},
            "early_terminate": {"type": "hyperband", "max_iter": 27, "s": 2, "eta": 3},
        }
    )
    assert cfg.early_terminate is not None and cfg.early_terminate.bands == (3, 9)


def test_grid_size_counts_every_enumerable_distribution() -> None:
    cfg = sweep_config.parse(
        {
            "method": "grid",
            "parameters": {
                "a": {"values": [1, 2, 3]},
                "b": {"min": 1, "max": 4},
                "c": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.25},
                "d": {"value": "x"},
            },
            "run_cap": 100,
        }
    )
    assert cfg.grid_size() == 3 * 4 * 5
    assert cfg.trial_limit() == 60


def _params(**spec: Any) -> dict[str, Any]:
    return {"method": "random", "parameters": {"lr": spec}}


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"method": "anneal", "parameters": {"x": {"value": 1}}}, "method"),
        ({"method": "random"}, "parameters"),
        ({"method": "random", "parameters": {}}, "parameters"),
        ({"method": "random", "paramters": {}}, "paramters"),
        (_params(distribution="lognormal", min=1, max=2), "parameters.lr.distribution"),
        (_params(min=2.0, max=1.0), "parameters.lr.min"),
        (_params(distribution="q_uniform", min=0, max=1, q=0), "parameters.lr.q"),
        (_params(distribution="q_normal", q=-1), "parameters.lr.q"),
        (_params(values=[]), "parameters.lr.values"),
        (_params(values=[1, 2], probabilities=[0.5]), "parameters.lr.probabilities"),
        (_params(values=[1, 2], probabilities=[0.5, 0.6]), "parameters.lr.probabilities"),
        (_params(distribution="log_uniform_values", min=0, max=1), "parameters.lr.min"),
        (_params(distribution="int_uniform", min=0.5, max=3), "parameters.lr.min"),
        (_params(distribution="uniform", min=0), "parameters.lr.max"),
        (_params(distribution="normal", sigma=0), "parameters.lr.sigma"),
        (_params(distribution="beta", a=-1), "parameters.lr.a"),
        (_params(min="1", max=2), "parameters.lr.min"),
        (_params(mn=1), "parameters.lr.mn"),
        (_params(), "parameters.lr"),
        (
            {"method": "random", "parameters": {"o": {"parameters": {"lr": {"min": 3, "max": 1}}}}},
            "parameters.o.parameters.lr.min",
        ),
        (
            {"method": "grid", "parameters": {"lr": {"min": 0.1, "max": 1.0}}},
            "parameters.lr.distribution",
        ),
        ({"method": "bayes", "parameters": {"x": {"min": 0.1, "max": 1.0}}}, "metric"),
        ({**_params(value=1), "metric": {"name": "loss", "goal": "lower"}}, "metric.goal"),
        ({**_params(value=1), "metric": {"goal": "minimize"}}, "metric.name"),
        ({**_params(value=1), "run_cap": 0}, "run_cap"),
        ({**_params(value=1), "command": ["python", "${argz}"]}, "command[1]"),
        (
            {**_params(value=1), "metric": {"name": "l"}, "early_terminate": {"type": "median"}},
            "early_terminate.type",
        ),
        (
            {**_params(value=1), "metric": {"name": "l"}, "early_terminate": {"type": "hyperband"}},
            "early_terminate",
        ),
        (
            {
                **_params(value=1),
                "metric": {"name": "l"},
                "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 1},
            },
            "early_terminate.eta",
        ),
        (
            {
                **_params(value=1),
                "metric": {"name": "l"},
                "early_terminate": {"type": "hyperband", "max_iter": 2, "s": 3, "eta": 3},
            },
            "early_terminate.s",
        ),
        ({**_params(min=0.1, max=1.0), "replacement": False}, "parameters.lr.distribution"),
    ],
)
def test_bad_input_names_the_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        sweep_config.parse(raw)
    assert str(caught.value).startswith(f"{key}:"), str(caught.value)


def test_bad_yaml_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: [grid\n")
    with pytest.raises(InvalidValueError, match="not valid YAML"):
        sweep_config.load(bad)
    with pytest.raises(InvalidValueError, match="cannot read sweep config"):
        sweep_config.load(tmp_path / "missing.yaml")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n")
    with pytest.raises(InvalidValueError, match="mapping"):
        sweep_config.load(listed)
