"""A W&B sweep configuration (a dict or a YAML file), parsed and checked.

Every rejection is an :class:`~tracklog.errors.InvalidValueError` naming the key path
(``parameters.lr.min``), raised when the sweep is created, before any trial runs. Part of the
store's core (no SQLAlchemy), so a server checks a config it is sent as a local store does.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracklog.errors import InvalidValueError

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
# The distributions drawn between ``min`` and ``max``.
_BOUNDED = (
    "int_uniform",
    "uniform",
    "q_uniform",
    "log_uniform",
    "log_uniform_values",
    "q_log_uniform",
    "q_log_uniform_values",
    "inv_log_uniform",
    "inv_log_uniform_values",
)
DISTRIBUTIONS = (
    "constant",
    "categorical",
    *_BOUNDED,
    "normal",
    "q_normal",
    "log_normal",
    "q_log_normal",
    "beta",
    "q_beta",
)
_VALUE_SPACE_LOG = {"log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values"}
_NORMAL = {"normal", "q_normal", "log_normal", "q_log_normal"}
_BETA = {"beta", "q_beta"}
_PARAM_KEYS = {
    "value",
    "values",
    "probabilities",
    "distribution",
    "min",
    "max",
    "mu",
    "sigma",
    "q",
    "a",
    "b",
    "parameters",
}
_TOP_KEYS = {
    "method",
    "metric",
    "parameters",
    "run_cap",
    "program",
    "command",
    "name",
    "description",
    "early_terminate",
    "entity",
    "project",
    # tracklog's own: random search without replacement over an all-discrete space
    "replacement",
}
MACROS = (
    "${env}",
    "${interpreter}",
    "${program}",
    "${args}",
    "${args_no_hyphens}",
    "${args_no_boolean_flags}",
    "${args_json}",
    "${args_json_file}",
)
DEFAULT_COMMAND = ("${env}", "${interpreter}", "${program}", "${args}")
_MACRO = re.compile(r"\$\{[^}]*\}")
_ENVVAR = re.compile(r"\$\{envvar:[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class Param:
    """One searched (or constant) parameter; ``path`` is its dotted name (``opt.lr``)."""

    path: str
    distribution: str
    value: Any = None
    values: tuple[Any, ...] = ()
    probabilities: tuple[float, ...] | None = None
    min: float = 0.0
    max: float = 0.0
    mu: float = 0.0
    sigma: float = 1.0
    q: float = 1  # W&B: an integer q gives integer samples
    a: float = 1.0
    b: float = 1.0

    @property
    def quantized(self) -> bool:
        return self.distribution.startswith("q_")

    def grid_values(self) -> list[Any]:
        """The values a grid search enumerates; an error for a continuous distribution."""
        if self.distribution == "constant":
            return [self.value]
        if self.distribution == "categorical":
            return list(self.values)
        if self.distribution == "int_uniform":
            return list(range(int(self.min), int(self.max) + 1))
        if self.distribution == "q_uniform":
            first, last = math.ceil(self.min / self.q), math.floor(self.max / self.q)
            return [_lattice(k, self.q) for k in range(first, last + 1)]
        raise InvalidValueError(
            f"parameters.{self.path}.distribution: grid search cannot enumerate the continuous "
            f"distribution {self.distribution!r} (use values, int_uniform or q_uniform)"
        )


def _lattice(k: int, q: float) -> Any:
    return k * q if isinstance(q, int) else round(k * q, 12)


@dataclass(frozen=True)
class Metric:
    name: str
    goal: str = "minimize"
    target: float | None = None

    def reached(self, value: float) -> bool:
        """Whether ``value`` reaches the target (the sweep then stops handing out trials)."""
        if self.target is None:
            return False
        return value <= self.target if self.goal == "minimize" else value >= self.target


@dataclass(frozen=True)
class Hyperband:
    """``early_terminate: {type: hyperband, ...}``: the iterations where trials are compared."""

    bands: tuple[int, ...]
    eta: float
    strict: bool


@dataclass(frozen=True)
class SweepConfig:
    method: str
    params: tuple[Param, ...]
    metric: Metric | None
    run_cap: int | None
    program: str | None
    command: tuple[str, ...]
    name: str | None
    description: str | None
    early_terminate: Hyperband | None
    replacement: bool
    raw: Mapping[str, Any]

    def grid_size(self) -> int | None:
        """How many points the grid (or a random search without replacement) has."""
        if self.method == "grid" or not self.replacement:
            return math.prod(len(p.grid_values()) for p in self.params)
        return None

    def trial_limit(self) -> int | None:
        """The most trials this sweep hands out: ``run_cap`` and the grid's size, if any."""
        limits = [n for n in (self.run_cap, self.grid_size()) if n is not None]
        return min(limits) if limits else None


def load(source: Mapping[str, Any] | str | os.PathLike[str]) -> SweepConfig:
    """A sweep config from a dict or a YAML (or JSON) file, checked."""
    return parse(read_config(source))


def read_config(source: Mapping[str, Any] | str | os.PathLike[str]) -> Mapping[str, Any]:
    """A sweep config as given: a dict, or read from a YAML (or JSON) file."""
    if isinstance(source, Mapping):
        return source
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidValueError(f"cannot read sweep config {path}: {exc}") from exc
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - PyYAML is in the sweeps extra
        raise InvalidValueError(
            "reading a YAML sweep config needs PyYAML: pip install 'tracklog[sweeps]'"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidValueError(f"sweep config {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise InvalidValueError(f"sweep config {path} must be a mapping of keys")
    return data


def parse(raw: Mapping[str, Any]) -> SweepConfig:
    """Check a W&B sweep config dict; errors name the offending key path."""
    if not isinstance(raw, Mapping):
        raise InvalidValueError(f"a sweep config must be a dict, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in _TOP_KEYS)
    if unknown:
        raise InvalidValueError(f"{unknown[0]}: unknown sweep config key")
    method = raw.get("method")
    if method not in METHODS:
        raise InvalidValueError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    metric = _metric(raw.get("metric"))
    replacement = raw.get("replacement", True)
    if not isinstance(replacement, bool):
        raise InvalidValueError("replacement: must be true or false")
    if "parameters" not in raw:
        raise InvalidValueError("parameters: a sweep needs parameters")
    params = tuple(_params(raw["parameters"], "parameters", ""))
    if method == "grid" or not replacement:
        if method != "random" and not replacement:
            raise InvalidValueError("replacement: false applies to method random only")
        for p in params:
            p.grid_values()
    if method == "bayes" and metric is None:
        raise InvalidValueError("metric: bayes search needs a metric to optimize")
    early = _hyperband(raw.get("early_terminate"))
    if early is not None and metric is None:
        raise InvalidValueError("metric: early_terminate needs a metric to compare trials")
    run_cap = raw.get("run_cap")
    if run_cap is not None and (not _is_int(run_cap) or run_cap < 1):
        raise InvalidValueError(f"run_cap: must be a positive integer, got {run_cap!r}")
    return SweepConfig(
        method=method,
        params=params,
        metric=metric,
        run_cap=run_cap,
        program=_optional_text(raw, "program"),
        command=_command(raw.get("command")),
        name=_optional_text(raw, "name"),
        description=_optional_text(raw, "description"),
        early_terminate=early,
        replacement=replacement,
        raw=raw,
    )


def _metric(raw: Any) -> Metric | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidValueError("metric: must be a mapping with name and goal")
    for key in raw:
        if key not in ("name", "goal", "target"):
            raise InvalidValueError(f"metric.{key}: unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidValueError("metric.name: must be a non-empty string")
    goal = raw.get("goal", "minimize")
    if goal not in GOALS:
        raise InvalidValueError(f"metric.goal: must be minimize or maximize, got {goal!r}")
    target = raw.get("target")
    if target is not None:
        target = _number(target, "metric.target")
    return Metric(name, goal, target)


def _params(raw: Any, where: str, prefix: str) -> list[Param]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidValueError(f"{where}: must be a non-empty mapping of parameters")
    out: list[Param] = []
    for name, spec in raw.items():
        if not isinstance(name, str) or not name or "." in name:
            raise InvalidValueError(f"{where}: bad parameter name {name!r} (no dots)")
        key = f"{where}.{name}"
        path = f"{prefix}{name}"
        if not isinstance(spec, Mapping):
            raise InvalidValueError(f"{key}: must be a mapping (value, values, min/max, ...)")
        unknown = sorted(str(k) for k in spec if k not in _PARAM_KEYS)
        if unknown:
            raise InvalidValueError(f"{key}.{unknown[0]}: unknown parameter key")
        if "parameters" in spec:
            if len(spec) > 1:
                raise InvalidValueError(f"{key}: nested parameters take no other keys")
            out.extend(_params(spec["parameters"], f"{key}.parameters", f"{path}."))
        else:
            out.append(_param(spec, key, path))
    return out


def _param(spec: Mapping[str, Any], key: str, path: str) -> Param:
    dist = spec.get("distribution") or _inferred(spec, key)
    if dist not in DISTRIBUTIONS:
        raise InvalidValueError(f"{key}.distribution: unknown distribution {dist!r}")
    if dist == "constant":
        if "value" not in spec:
            raise InvalidValueError(f"{key}.value: a constant needs a value")
        return Param(path, dist, value=spec["value"])
    if dist == "categorical":
        return _categorical(spec, key, path)
    fields: dict[str, Any] = {}
    for name in ("q", "mu", "sigma", "a", "b"):
        if name in spec:
            fields[name] = _number(spec[name], f"{key}.{name}")
    if dist in _BOUNDED:
        for name in ("min", "max"):
            if name not in spec:
                raise InvalidValueError(f"{key}.{name}: {dist} needs min and max")
            fields[name] = _number(spec[name], f"{key}.{name}")
        if fields["min"] > fields["max"]:
            raise InvalidValueError(
                f"{key}.min: min {fields['min']} is greater than max {fields['max']}"
            )
        if dist == "int_uniform" and not (_is_int(fields["min"]) and _is_int(fields["max"])):
            raise InvalidValueError(f"{key}.min: int_uniform needs integer min and max")
        if dist in _VALUE_SPACE_LOG and fields["min"] <= 0:
            raise InvalidValueError(f"{key}.min: {dist} needs min > 0, got {fields['min']}")
    if fields.get("q", 1) <= 0:
        raise InvalidValueError(f"{key}.q: must be > 0, got {fields['q']}")
    if dist in _NORMAL and fields.get("sigma", 1) <= 0:
        raise InvalidValueError(f"{key}.sigma: must be > 0, got {fields['sigma']}")
    for name in ("a", "b"):
        if dist in _BETA and fields.get(name, 1) <= 0:
            raise InvalidValueError(f"{key}.{name}: must be > 0, got {fields[name]}")
    if dist == "q_uniform" and math.floor(fields["max"] / fields.get("q", 1)) < math.ceil(
        fields["min"] / fields.get("q", 1)
    ):
        raise InvalidValueError(f"{key}.q: no multiple of q lies between min and max")
    return Param(path, dist, **fields)


def _inferred(spec: Mapping[str, Any], key: str) -> str:
    """W&B's inference: value → constant, values → categorical, min/max → (int_)uniform."""
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "min" in spec and "max" in spec:
        both_int = _is_int(spec["min"]) and _is_int(spec["max"])
        return "int_uniform" if both_int else "uniform"
    raise InvalidValueError(
        f"{key}: give a value, values, min and max, parameters or a distribution"
    )


def _categorical(spec: Mapping[str, Any], key: str, path: str) -> Param:
    values = spec.get("values")
    if not isinstance(values, (list, tuple)) or not values:
        raise InvalidValueError(f"{key}.values: must be a non-empty list")
    probs = spec.get("probabilities")
    if probs is None:
        return Param(path, "categorical", values=tuple(values))
    if not isinstance(probs, (list, tuple)) or len(probs) != len(values):
        raise InvalidValueError(f"{key}.probabilities: needs one probability per value")
    checked = tuple(_number(p, f"{key}.probabilities") for p in probs)
    if any(p < 0 for p in checked) or not math.isclose(sum(checked), 1.0, abs_tol=1e-6):
        raise InvalidValueError(f"{key}.probabilities: must be ≥ 0 and sum to 1")
    return Param(path, "categorical", values=tuple(values), probabilities=checked)


def _hyperband(raw: Any) -> Hyperband | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidValueError("early_terminate: must be a mapping")
    for key in raw:
        if key not in ("type", "min_iter", "max_iter", "s", "eta", "strict"):
            raise InvalidValueError(f"early_terminate.{key}: unknown key")
    if raw.get("type") != "hyperband":
        raise InvalidValueError(
            f"early_terminate.type: only hyperband is supported, got {raw.get('type')!r}"
        )
    eta = _number(raw.get("eta", 3), "early_terminate.eta")
    if eta <= 1:
        raise InvalidValueError(f"early_terminate.eta: must be > 1, got {eta}")
    strict = raw.get("strict", False)
    if not isinstance(strict, bool):
        raise InvalidValueError("early_terminate.strict: must be true or false")
    s = raw.get("s")
    if s is not None and (not _is_int(s) or s < 1):
        raise InvalidValueError(f"early_terminate.s: must be a positive integer, got {s!r}")
    if ("min_iter" in raw) == ("max_iter" in raw):
        raise InvalidValueError("early_terminate: give exactly one of min_iter and max_iter")
    if "max_iter" in raw:
        max_iter = raw["max_iter"]
        if not _is_int(max_iter) or max_iter < 1:
            raise InvalidValueError("early_terminate.max_iter: must be a positive integer")
        if s is None:
            raise InvalidValueError("early_terminate.s: max_iter needs s (the brackets)")
        # W&B's rule: max_iter / eta, / eta², ... while at least 1 iteration, s of them.
        bands = [int(max_iter / eta**i) for i in range(1, s + 1) if max_iter / eta**i >= 1]
        if not bands:
            raise InvalidValueError("early_terminate.s: no bracket of at least 1 iteration")
    else:
        min_iter = raw["min_iter"]
        if not _is_int(min_iter) or min_iter < 1:
            raise InvalidValueError("early_terminate.min_iter: must be a positive integer")
        count = s if s is not None else 100  # W&B: brackets without end unless s bounds them
        bands = [int(min_iter * eta**i) for i in range(count)]
    return Hyperband(tuple(sorted(set(bands))), eta, strict)


def _command(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return DEFAULT_COMMAND
    if not isinstance(raw, (list, tuple)) or not raw:
        raise InvalidValueError("command: must be a non-empty list of strings")
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise InvalidValueError(f"command[{i}]: must be a string, got {item!r}")
        for macro in _MACRO.findall(item):
            if macro not in MACROS and not _ENVVAR.fullmatch(macro):
                raise InvalidValueError(f"command[{i}]: unknown macro {macro}")
    return tuple(raw)


def _optional_text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidValueError(f"{key}: must be a string, got {value!r}")
    return value


def _number(value: Any, key: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidValueError(f"{key}: must be a finite number, got {value!r}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
