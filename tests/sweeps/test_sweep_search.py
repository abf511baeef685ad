"""Grid, random and Bayesian points: exact grids, W&B's distributions, Optuna's TPE."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tracklog.store import sweep_config
from tracklog.store.sweep_config import Param
from tracklog.sweeps import search


def test_grid_enumerates_every_point_once_with_nested_parameters() -> None:
    cfg = sweep_config.parse(
        {
            "method": "grid",
            "parameters": {
                "a": {"values": [1, 2, 3]},
                "opt": {"parameters": {"lr": {"values": [0.1, 0.2]}, "n": {"min": 0, "max": 1}}},
                "c": {"value": "x"},
            },
        }
    )
    size = cfg.grid_size()
    assert size == 12
    points = [search.propose(cfg, 0, i) for i in range(size)]
    keys = {(p["a"], p["opt"]["lr"], p["opt"]["n"]) for p in points}
    assert len(keys) == 12
    assert all(p["c"] == "x" for p in points)


def test_random_without_replacement_visits_each_point_once() -> None:
    cfg = sweep_config.parse(
        {
            "method": "random",
            "replacement": False,
            "parameters": {"a": {"values": [1, 2, 3]}, "b": {"min": 1, "max": 5}},
        }
    )
    points = [search.propose(cfg, 7, i) for i in range(15)]
    assert len({(p["a"], p["b"]) for p in points}) == 15
    assert points == [search.propose(cfg, 7, i) for i in range(15)]  # same seed, same order


def _draws(dist: str, n: int = 4000, **spec: Any) -> np.ndarray:
    cfg = sweep_config.parse(
        {"method": "random", "parameters": {"x": {"distribution": dist, **spec}}}
    )
    rng = np.random.default_rng(0)
    return np.array([search.sample(cfg.params[0], rng) for _ in range(n)])


def test_log_uniform_takes_logs_and_log_uniform_values_takes_values() -> None:
    logs = _draws("log_uniform", min=math.log(1e-4), max=math.log(1e-1))
    values = _draws("log_uniform_values", min=1e-4, max=1e-1)
    for x in (logs, values):
        assert x.min() >= 1e-4 and x.max() <= 1e-1
        # log-uniform: a quarter of the draws in each quarter of the log range
        assert abs(np.mean(np.log10(x) < -3.25) - 0.25) < 0.03


def test_inverse_log_uniform_distributions() -> None:
    inv = _draws("inv_log_uniform", min=1, max=3)  # log(1/x) uniform in [1, 3]
    assert inv.min() >= math.exp(-3) and inv.max() <= math.exp(-1)
    assert abs(np.mean(-np.log(inv)) - 2) < 0.05
    inv_values = _draws("inv_log_uniform_values", min=0.01, max=1)
    assert inv_values.min() >= 0.01 and inv_values.max() <= 1


def test_quantized_distributions_round_to_q() -> None:
    ints = _draws("q_uniform", min=0, max=10, q=2)
    assert ints.dtype.kind == "i" and set(ints.tolist()) <= {0, 2, 4, 6, 8, 10}
    floats = _draws("q_log_normal", mu=0, sigma=1, q=0.5)
    assert np.allclose(floats / 0.5, np.round(floats / 0.5))
    beta = _draws("q_beta", a=2, b=2, q=0.1)
    assert np.allclose(beta * 10, np.round(beta * 10))


def test_normal_beta_and_categorical_probabilities() -> None:
    normal = _draws("normal", mu=3, sigma=2)
    assert abs(normal.mean() - 3) < 0.15 and abs(normal.std() - 2) < 0.15
    log_normal = _draws("log_normal", mu=0, sigma=0.5)
    assert abs(np.log(log_normal).mean()) < 0.05
    beta = _draws("beta", a=2, b=6)
    assert abs(beta.mean() - 0.25) < 0.02
    picks = _draws("categorical", values=[1, 2], probabilities=[0.9, 0.1])
    assert abs(np.mean(picks == 1) - 0.9) < 0.03


def test_int_uniform_covers_both_ends() -> None:
    x = _draws("int_uniform", min=1, max=3)
    assert set(x.tolist()) == {1, 2, 3}


def _branin(x1: float, x2: float) -> float:
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def test_bayes_matches_optuna_tpe_run_directly_on_branin() -> None:
    """The same sampler: the sweep's best on Branin is as good as Optuna's own TPE loop."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg = sweep_config.parse(
        {
            "method": "bayes",
            "metric": {"name": "y", "goal": "minimize"},
            "parameters": {"x1": {"min": -5.0, "max": 10.0}, "x2": {"min": 0.0, "max": 15.0}},
        }
    )
    ours, theirs = [], []
    for seed in range(10):  # 10 seeds of 50 trials, as the issue asks
        finished: list[search.Finished] = []
        for n in range(50):
            p = search.propose(cfg, seed * 1000, n, finished)
            finished.append(search.Finished(p, "finished", _branin(p["x1"], p["x2"])))
        ours.append(min(f.metric for f in finished if f.metric is not None))
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(
            lambda t: _branin(t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)),
            n_trials=50,
        )
        theirs.append(study.best_value)
    # Measured: 0.557 (ours) and 0.517 (Optuna) on average; Branin's minimum is 0.398.
    assert np.mean(ours) <= np.mean(theirs) + 0.1
    assert max(ours) < 1.5


@pytest.mark.parametrize(
    "spec",
    [
        {"values": [[1, 2], {"a": 1}, "x"]},
        {"distribution": "q_log_uniform_values", "min": 1, "max": 100, "q": 5},
        {"distribution": "log_uniform", "min": -3, "max": 0},
        {"distribution": "inv_log_uniform_values", "min": 0.01, "max": 1},
        {"distribution": "q_normal", "mu": 0, "sigma": 3, "q": 1},
        {"distribution": "log_normal", "mu": 0, "sigma": 1},
        {"distribution": "q_beta", "a": 2, "b": 2, "q": 0.1},
        {"min": 1, "max": 9},
    ],
)
def test_bayes_tells_optuna_every_past_trial_of_any_distribution(spec: dict[str, Any]) -> None:
    cfg = sweep_config.parse(
        {"method": "bayes", "metric": {"name": "m"}, "parameters": {"x": spec, "k": {"value": 1}}}
    )
    finished = []
    for n in range(12):
        p = search.propose(cfg, 0, n, finished)
        assert p["k"] == 1
        assert search._Space(cfg.params[0]).internal(p["x"]) is not None, p
        status = ("finished", "failed", "stopped")[n % 3]
        finished.append(search.Finished(p, status, float(n) if status == "finished" else None))


def test_bayes_skips_a_trial_outside_the_space() -> None:
    cfg = sweep_config.parse(
        {"method": "bayes", "metric": {"name": "m"}, "parameters": {"x": {"values": [1, 2]}}}
    )
    p = search.propose(cfg, 0, 1, [search.Finished({"x": 99}, "finished", 1.0)])
    assert p["x"] in (1, 2)


def test_param_defaults_follow_wandb() -> None:
    p = Param("x", "q_normal")
    assert (p.mu, p.sigma, p.q, p.a, p.b) == (0.0, 1.0, 1, 1.0, 1.0)
