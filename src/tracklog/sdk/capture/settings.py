"""Which parts of a run's context to capture: switches from ``init(settings=...)`` and the
environment.

Every setting ``name`` has one environment variable, ``TRACKLOG_CAPTURE_<NAME>`` (upper case),
plus the master switch ``TRACKLOG_CAPTURE``. A value given to ``init(settings=...)`` wins over
the environment, which wins over the default.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracklog.errors import InvalidValueError

ENV_PREFIX = "TRACKLOG_CAPTURE"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_INTERVALS = ("system_interval_s", "console_interval_s")
_SWITCHES = ("environment", "git", "diff", "packages", "code", "console", "system_metrics")


@dataclass(frozen=True)
class CaptureSettings:
    """What ``capture_all`` and the console/system captures do for one run."""

    enabled: bool = True
    """Master switch: False turns every capture off, whatever the other switches say."""
    environment: bool = True
    """Command line, Python, OS, host, CPU, memory, GPUs, ML framework versions."""
    git: bool = True
    """Commit, branch, remote URL and dirty flag of the repository around the working dir."""
    diff: bool = True
    """The uncommitted changes as a ``diff.patch`` artifact (needs ``git``)."""
    packages: bool = True
    """Installed distributions as ``requirements.txt`` (and ``conda.yaml`` under conda)."""
    code: bool = False
    """Save the script (and ``code_glob`` matches) as artifacts under ``code/``."""
    code_glob: tuple[str, ...] = ()
    """Globs relative to the working directory, e.g. ``("**/*.py",)``; setting it turns
    ``code`` on unless ``code`` is set to false explicitly."""
    console: bool = True
    """Tee stdout and stderr into an ``output.log`` artifact."""
    system_metrics: bool = True
    """Sample CPU, memory, disk, network and GPU use as ``system/*`` series."""
    system_interval_s: float = 10.0
    """Seconds between two system samples."""
    console_interval_s: float = 15.0
    """Seconds between two uploads of ``output.log`` while the run is running (only when it
    grew; a log over 1 MB waits proportionally longer, so uploads stay about 1 MB/interval)."""
    diff_max_bytes: int = 1_000_000
    """Largest ``diff.patch``; a longer diff is cut (whole files) and says so."""

    @classmethod
    def resolve(
        cls,
        settings: Mapping[str, Any] | CaptureSettings | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> CaptureSettings:
        """Settings from ``init(settings=...)`` over ``TRACKLOG_CAPTURE_*`` over defaults.

        Raises InvalidValueError naming the setting (or variable) for an unknown name or a bad
        value.
        """
        if isinstance(settings, CaptureSettings):
            return settings
        if settings is not None and not isinstance(settings, Mapping):
            raise InvalidValueError(
                f"settings must be a dict or CaptureSettings, got {type(settings).__name__}"
            )
        environ = os.environ if environ is None else environ
        fields = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for name in fields:
            var = env_var(name)
            raw = environ.get(var)
            if raw is not None and raw.strip() != "":
                values[name] = _parse_env(name, var, raw)
        explicit = dict(settings or {})
        for name, value in explicit.items():
            if name not in fields:
                known = ", ".join(sorted(fields))
                raise InvalidValueError(f"unknown capture setting {name!r}; known: {known}")
            values[name] = _check(name, f"settings[{name!r}]", value)
        if values.get("code_glob") and "code" not in values:
            values["code"] = True
        resolved = cls(**values)
        if not resolved.enabled:
            off: dict[str, Any] = dict.fromkeys(_SWITCHES, False)
            resolved = dataclasses.replace(resolved, **off)
        return resolved


def env_var(name: str) -> str:
    """The environment variable of setting ``name`` (``enabled`` is ``TRACKLOG_CAPTURE``)."""
    return ENV_PREFIX if name == "enabled" else f"{ENV_PREFIX}_{name.upper()}"


def _parse_env(name: str, var: str, raw: str) -> Any:
    """Turn an environment variable's text into the setting's type."""
    text = raw.strip()
    if name in ("enabled", *_SWITCHES):
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise InvalidValueError(f"{var} must be one of {'/'.join(_TRUE + _FALSE)}, got {raw!r}")
    if name == "code_glob":
        return _check(name, var, [p.strip() for p in text.split(",") if p.strip()])
    if name in _INTERVALS:
        try:
            number: float = float(text)
        except ValueError:
            raise InvalidValueError(f"{var} must be a number of seconds, got {raw!r}") from None
        return _check(name, var, number)
    try:
        integer = int(text)
    except ValueError:
        raise InvalidValueError(f"{var} must be a whole number of bytes, got {raw!r}") from None
    return _check(name, var, integer)


def _check(name: str, where: str, value: Any) -> Any:
    """Validate one setting's value (already of Python type); ``where`` names it in errors."""
    if name in ("enabled", *_SWITCHES):
        if not isinstance(value, bool):
            raise InvalidValueError(f"{where} must be True or False, got {value!r}")
        return value
    if name == "code_glob":
        patterns = [value] if isinstance(value, str) else value
        if not isinstance(patterns, (list, tuple)) or not all(
            isinstance(p, str) and p.strip() for p in patterns
        ):
            raise InvalidValueError(
                f"{where} must be a glob or a list of globs (non-empty strings), got {value!r}"
            )
        for p in patterns:
            # Globs are relative to the working directory so a snapshot cannot reach elsewhere.
            if p.startswith(("/", "\\")) or (len(p) > 1 and p[1] == ":") or ".." in p.split("/"):
                raise InvalidValueError(
                    f"{where}: {p!r} must be relative to the working directory, without '..'"
                )
        return tuple(patterns)
    if name in _INTERVALS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidValueError(f"{where} must be a number of seconds, got {value!r}")
        if not 0.1 <= value <= 86_400:
            raise InvalidValueError(f"{where} must be between 0.1 and 86400 seconds, got {value!r}")
        return float(value)
    # diff_max_bytes
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValueError(f"{where} must be a whole number of bytes >= 0, got {value!r}")
    return value
