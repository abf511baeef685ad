"""A program-mode trial's command line: the config's ``command`` with W&B's macros filled in."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracklog.errors import InvalidValueError
from tracklog.store.sweep_config import SweepConfig

_ENVVAR = re.compile(r"\$\{envvar:([A-Za-z_][A-Za-z0-9_]*)\}")


def require_program(config: SweepConfig) -> None:
    """A command that names ``${program}`` needs ``program`` in the config."""
    if config.program is None and any("${program}" in item for item in config.command):
        raise InvalidValueError("program: the sweep's command runs ${program}, give program")


def command_line(config: SweepConfig, params: Mapping[str, Any], folder: Path) -> list[str]:
    """The trial's argv; ``${args_json_file}`` is written into ``folder``."""
    require_program(config)
    lists = {
        "${args}": [f"--{k}={_text(v)}" for k, v in params.items()],
        "${args_no_hyphens}": [f"{k}={_text(v)}" for k, v in params.items()],
        "${args_no_boolean_flags}": [
            f"--{k}" if v is True else f"--{k}={_text(v)}"
            for k, v in params.items()
            if v is not False
        ],
    }
    words = {
        "${interpreter}": sys.executable,
        "${program}": config.program or "",
        "${args_json}": json.dumps(dict(params)),
    }
    argv: list[str] = []
    for item in config.command:
        if item in lists:
            argv.extend(lists[item])
            continue
        if item == "${env}":
            if os.name != "nt":  # W&B's ${env} is /usr/bin/env, which Windows has not
                argv.append("/usr/bin/env")
            continue
        if "${args_json_file}" in item:
            path = folder / "args.json"
            path.write_text(json.dumps(dict(params)), encoding="utf-8")
            item = item.replace("${args_json_file}", str(path))
        for macro, value in words.items():
            item = item.replace(macro, value)
        argv.append(_ENVVAR.sub(lambda m: os.environ.get(m.group(1), ""), item))
    return argv


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
