"""W&B's ``wandb.init()`` arguments that tracklog maps onto its own: ``reinit``, the config's
include and exclude lists, ``save_code``, and the keywords it (and ``login()``) accepts and
ignores."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from tracklog.errors import InvalidValueError
from tracklog.sdk.config import as_dict

REINIT = ("default", "return_previous", "finish_previous", "create_new")


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
