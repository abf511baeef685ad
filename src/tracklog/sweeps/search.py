"""The parameters of a sweep's trial number ``n``: grid, random (W&B's distributions) and
Bayesian search (Optuna's TPE, with the study rebuilt from the sweep's finished trials).

Grid and random points depend only on the sweep's seed and the trial number, so every agent
computes the same point for the same number and the store's claim of a number is the only
coordination needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tracklog.store.sweep_config import Param, SweepConfig

if TYPE_CHECKING:
    import optuna


@dataclass(frozen=True)
class Finished:
    """A trial that ended: its parameters (nested, as the run saw them), how it ended
    ("finished", "failed", "stopped", "crashed") and the metric's value, if it logged one."""

    params: Mapping[str, Any]
    status: str
    metric: float | None
    number: int | None = None  # the trial's number, so a kept study is told it once


def propose(
    config: SweepConfig,
    seed: int,
    number: int,
    finished: Sequence[Finished] = (),
    study: BayesStudy | None = None,
) -> dict[str, Any]:
    """The nested parameters of trial ``number``; a Bayesian search tells ``study`` (a new
    one by default) the ``finished`` trials first."""
    if config.method == "grid":
        return nested(grid_point(config.params, number))
    if config.method == "random":
        if not config.replacement:
            size = config.grid_size() or 0
            order = np.random.default_rng(seed).permutation(size)
            return nested(grid_point(config.params, int(order[number % size])))
        return nested(random_point(config.params, np.random.default_rng([seed, number])))
    study = study or BayesStudy(config)
    study.tell(finished)
    return nested(study.ask(seed + number))


def grid_point(params: Sequence[Param], index: int) -> dict[str, Any]:
    """Point ``index`` of the grid, the last parameter varying fastest."""
    point: dict[str, Any] = {}
    for param in reversed(params):
        values = param.grid_values()
        index, digit = divmod(index, len(values))
        point[param.path] = values[digit]
    return {p.path: point[p.path] for p in params}


def random_point(params: Sequence[Param], rng: np.random.Generator) -> dict[str, Any]:
    return {p.path: sample(p, rng) for p in params}


def sample(p: Param, rng: np.random.Generator) -> Any:
    """One draw of ``p``, as W&B defines each distribution."""
    d = p.distribution
    if d == "constant":
        return p.value
    if d == "categorical":
        probs = None if p.probabilities is None else np.asarray(p.probabilities)
        if probs is not None:
            probs = probs / probs.sum()
        return p.values[int(rng.choice(len(p.values), p=probs))]
    if d == "int_uniform":
        return int(rng.integers(int(p.min), int(p.max) + 1))
    if d in ("normal", "q_normal"):
        x = rng.normal(p.mu, p.sigma)
    elif d in ("log_normal", "q_log_normal"):
        x = math.exp(rng.normal(p.mu, p.sigma))
    elif d in ("beta", "q_beta"):
        x = rng.beta(p.a, p.b)
    elif d in ("uniform", "q_uniform"):
        x = rng.uniform(p.min, p.max)
    elif d in ("log_uniform", "q_log_uniform"):  # min and max are logs
        x = math.exp(rng.uniform(p.min, p.max))
    elif d in ("log_uniform_values", "q_log_uniform_values"):
        x = math.exp(rng.uniform(math.log(p.min), math.log(p.max)))
    elif d == "inv_log_uniform":  # log(1/x) uniform in [min, max]
        x = math.exp(-rng.uniform(p.min, p.max))
    else:  # inv_log_uniform_values: log(1/x) uniform in [log(1/max), log(1/min)]
        x = math.exp(-rng.uniform(math.log(1 / p.max), math.log(1 / p.min)))
    return quantize(p, float(x)) if p.quantized else float(x)


def quantize(p: Param, x: float) -> Any:
    """``round(x / q) * q``, an int when ``q`` is one (W&B's rule)."""
    k = round(x / p.q)
    return k * p.q if isinstance(p.q, int) else round(k * p.q, 12)


def nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"opt.lr": 1}`` → ``{"opt": {"lr": 1}}``."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def flat(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The inverse of :func:`nested` for the given parameters' paths."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# --- Bayesian search through Optuna ------------------------------------------------------


class _Space:
    """One parameter as Optuna sees it: its distribution, and the maps between Optuna's
    internal value and the parameter's value (both ways, to tell Optuna of past trials)."""

    def __init__(self, p: Param) -> None:
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        self.p = p
        d = p.distribution
        self.dist: optuna.distributions.BaseDistribution
        if d == "categorical":  # by index: values may be lists or dicts, which Optuna refuses
            self.dist = CategoricalDistribution(list(range(len(p.values))))
        elif d == "int_uniform":
            self.dist = IntDistribution(int(p.min), int(p.max))
        elif d == "uniform":
            self.dist = FloatDistribution(p.min, p.max)
        elif d in ("log_uniform_values", "inv_log_uniform_values"):
            self.dist = FloatDistribution(p.min, p.max, log=True)
        elif d == "log_uniform":
            self.dist = FloatDistribution(math.exp(p.min), math.exp(p.max), log=True)
        elif d == "inv_log_uniform":
            self.dist = FloatDistribution(math.exp(-p.max), math.exp(-p.min), log=True)
        elif d in ("q_uniform", "q_log_uniform", "q_log_uniform_values"):
            # The multiples k of q in range, as integers: the lattice exactly.
            lo, hi = p.min, p.max
            if d == "q_log_uniform":
                lo, hi = math.exp(lo), math.exp(hi)
            k_lo, k_hi = math.ceil(lo / p.q), math.floor(hi / p.q)
            log = d != "q_uniform" and k_lo >= 1
            self.dist = IntDistribution(k_lo, max(k_lo, k_hi), log=log)
        elif d in ("beta", "q_beta"):
            self.dist = FloatDistribution(0.0, 1.0)
        else:  # normal and log-normal families: the quantile, mapped through the inverse cdf
            self.dist = FloatDistribution(_EDGE, 1 - _EDGE)
        self.integer = isinstance(self.dist, IntDistribution)
        bounded = self.dist if isinstance(self.dist, (IntDistribution, FloatDistribution)) else None
        self.low = bounded.low if bounded is not None else 0
        self.high = bounded.high if bounded is not None else len(p.values) - 1

    def value(self, internal: Any) -> Any:
        p, d = self.p, self.p.distribution
        if d == "categorical":
            return p.values[internal]
        if d in _LATTICE:
            return internal * p.q if isinstance(p.q, int) else round(internal * p.q, 12)
        if d in ("normal", "q_normal"):
            x = _normal(p).inv_cdf(internal)
        elif d in ("log_normal", "q_log_normal"):
            x = math.exp(_normal(p).inv_cdf(internal))
        else:
            x = internal
        return quantize(p, float(x)) if p.quantized else x

    def internal(self, value: Any) -> Any:
        """Optuna's value for a past trial's ``value``; None when it lies outside the space."""
        p, d = self.p, self.p.distribution
        try:
            if d == "categorical":
                return next(i for i, v in enumerate(p.values) if v == value)
            x = float(value)
            if d in _LATTICE:
                x = round(x / p.q)
            elif d in ("normal", "q_normal"):
                x = min(max(_normal(p).cdf(x), _EDGE), 1 - _EDGE)
            elif d in ("log_normal", "q_log_normal"):
                x = min(max(_normal(p).cdf(math.log(x)), _EDGE), 1 - _EDGE)
        except (StopIteration, TypeError, ValueError, OverflowError):
            return None
        if not self.low <= x <= self.high:
            return None
        return int(x) if self.integer and x == int(x) else (None if self.integer else x)


_LATTICE = ("q_uniform", "q_log_uniform", "q_log_uniform_values")
_EDGE = 1e-9


def _normal(p: Param) -> Any:
    from statistics import NormalDist

    return NormalDist(p.mu, p.sigma)


class BayesStudy:
    """An in-memory Optuna study of a sweep, told each ended trial once: completed ones with
    their metric, failed ones as FAIL, stopped and crashed ones (and finished ones that never
    logged the metric) as PRUNED. An ended trial never changes, so an agent keeps one study
    and tells it only the trials that ended since its last ask."""

    def __init__(self, config: SweepConfig) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        assert config.metric is not None  # parse() requires it for bayes
        self.config = config
        self.spaces = {p.path: _Space(p) for p in config.params if p.distribution != "constant"}
        self.dists = {path: s.dist for path, s in self.spaces.items()}
        direction: Literal["minimize", "maximize"] = (
            "maximize" if config.metric.goal == "maximize" else "minimize"
        )
        self.study = optuna.create_study(direction=direction)
        self.told: set[int] = set()

    def tell(self, finished: Sequence[Finished]) -> None:
        import optuna

        for trial in finished:
            if trial.number is not None:
                if trial.number in self.told:
                    continue
                self.told.add(trial.number)
            given = flat(trial.params)
            internals = {path: s.internal(given.get(path)) for path, s in self.spaces.items()}
            if any(v is None for v in internals.values()):
                continue  # a point outside this config's space (edited by hand): nothing to learn
            metric = trial.metric
            if trial.status == "finished" and metric is not None and math.isfinite(metric):
                state, value = optuna.trial.TrialState.COMPLETE, metric
            elif trial.status == "failed":
                state, value = optuna.trial.TrialState.FAIL, None
            else:
                state, value = optuna.trial.TrialState.PRUNED, None
            self.study.add_trial(
                optuna.trial.create_trial(
                    state=state, value=value, params=internals, distributions=self.dists
                )
            )

    def ask(self, seed: int) -> dict[str, Any]:
        """A point from Optuna's TPE sampler seeded with ``seed`` (flat parameter paths)."""
        import optuna

        self.study.sampler = optuna.samplers.TPESampler(seed=seed)
        asked = self.study.ask(self.dists)
        point = {path: s.value(asked.params[path]) for path, s in self.spaces.items()}
        return {p.path: point.get(p.path, p.value) for p in self.config.params}
