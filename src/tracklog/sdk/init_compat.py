"""W&B's ``wandb.init()`` arguments that tracklog maps onto its own: ``reinit``, the config's
include and exclude lists, ``save_code``, and the keywords it (and ``login()``) accepts and
ignores."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tracklog.errors import InvalidValueError
from tracklog.sdk.config import as_dict

REINIT = ("default", "return_previous", "finish_previous", "create_new")
MODES = {"dryrun": "offline", "run": "online", "shared": "online"}  # W&B's other mode names


def warn_ignored(kwargs: Mapping[str, Any], call: str = "init") -> None:
    """One warning naming every keyword ``call`` does not use (W&B's ``force``,
    ``sync_tensorboard``, ``monitor_gym``, ..., or a misspelt one), instead of a TypeError."""
    if kwargs:
        names = ", ".join(sorted(kwargs))
        warnings.warn(f"tracklog.{call}() ignores these arguments: {names}", stacklevel=3)


def reinit_policy(reinit: bool | str | None) -> str:
    """What ``init()`` does while a run is open: W&B's ``reinit`` (True is "finish_previous",
    False and "default" are "return_previous", as in a W&B script); None keeps tracklog's
    behaviour, "create_new" (each run stays open until finished)."""
    if reinit is None:
        return "create_new"
    if reinit is True:
        return "finish_previous"
    if reinit is False or reinit == "default":
        return "return_previous"
    if reinit not in REINIT:
        choices = ", ".join(REINIT)
        raise InvalidValueError(f"reinit must be True, False or one of {choices}: {reinit!r}")
    return str(reinit)


def chosen_config(
    config: Mapping[str, Any] | object | None,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
) -> dict[str, Any] | None:
    """``config`` (a dict or an ``argparse.Namespace``) with only the top-level keys in
    ``include`` (when given) and none of those in ``exclude``."""
    if config is None:
        return None
    values = as_dict(config)
    if include:
        values = {k: v for k, v in values.items() if k in include}
    if exclude:
        values = {k: v for k, v in values.items() if k not in exclude}
    return values


def with_save_code(
    settings: Mapping[str, Any] | None, save_code: bool | None
) -> Mapping[str, Any] | None:
    """``settings`` with W&B's ``save_code`` as the ``code`` capture switch (a ``code`` in
    ``settings`` wins)."""
    if save_code is None:
        return settings
    if not isinstance(save_code, bool):
        raise InvalidValueError(f"save_code must be True or False, got {save_code!r}")
    if settings is not None and not isinstance(settings, Mapping):
        return settings  # CaptureSettings, or a bad value its own check names
    return {"code": save_code, **(settings or {})}


class Settings(dict[str, Any]):
    """W&B's ``wandb.Settings(...)`` for ``init(settings=...)``: the settings that have a
    capture switch here (``save_code``, ``disable_code``, ``disable_git``, ``console``,
    ``x_disable_stats``, ``x_stats_sampling_interval``) become it; the others (``start_method``,
    ``init_timeout``, ...) are ignored with one warning naming them."""

    def __init__(self, **settings: Any) -> None:
        mapped: dict[str, Any] = {}
        ignored = {}
        for name, value in settings.items():
            switch = _WANDB_SETTINGS.get(name.lstrip("_"))
            if switch is None:
                ignored[name] = value
            else:
                mapped[switch[0]] = switch[1](value)
        warn_ignored(ignored, "Settings")
        super().__init__(mapped)


_WANDB_SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "save_code": ("code", lambda v: v),
    "disable_code": ("code", lambda v: not v if isinstance(v, bool) else v),
    "disable_git": ("git", lambda v: not v if isinstance(v, bool) else v),
    "console": ("console", lambda v: v != "off" if isinstance(v, str) else v),
    "x_disable_stats": ("system_metrics", lambda v: not v if isinstance(v, bool) else v),
    "disable_stats": ("system_metrics", lambda v: not v if isinstance(v, bool) else v),
    "x_stats_sampling_interval": ("system_interval_s", lambda v: v),
}
