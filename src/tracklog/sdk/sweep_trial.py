"""A sweep trial handed to ``init()`` by a sweep agent through ``$TRACKLOG_SWEEP_TRIAL``: the
run id the agent chose (so the trial is linked to its run), the sweep's project and the
trial's parameters, which ``init()`` lays over the config the script passes (as W&B's agent
does)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from tracklog.errors import InvalidValueError

ENV = "TRACKLOG_SWEEP_TRIAL"


@dataclass(frozen=True)
class SweepTrial:
    sweep_id: str
    number: int
    run_id: str
    project: str
    params: dict[str, Any]

    def env_value(self) -> str:
        return json.dumps(asdict(self))

    def config_over(self, config: Any) -> Any:
        """``config`` with the trial's parameters over it (a non-dict is left for init's check)."""
        if config is None:
            return dict(self.params)
        if not isinstance(config, Mapping):
            return config
        return {**config, **self.params}


def from_env() -> SweepTrial | None:
    """The trial ``$TRACKLOG_SWEEP_TRIAL`` describes, if set."""
    text = os.environ.get(ENV)
    if not text:
        return None
    try:
        data = json.loads(text)
        return SweepTrial(
            sweep_id=str(data["sweep_id"]),
            number=int(data["number"]),
            run_id=str(data["run_id"]),
            project=str(data["project"]),
            params=dict(data["params"]),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidValueError(f"${ENV} is not a sweep trial: {exc}") from exc
