"""``init()`` as a reproduction: ``TRACKLOG_REPRODUCE_FROM=RUN_ID`` (set by ``tracklog runs
reproduce``) starts the new run with that run's recorded config and project, tagged
``reproduced_from=RUN_ID``. The precedence rules are in docs/capture.md ("Reproduce a run")."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store import params, validation
from tracklog.store.records import RunRecord

if TYPE_CHECKING:
    from tracklog.sdk.backend import Backend

ENV_REPRODUCE_FROM = "TRACKLOG_REPRODUCE_FROM"
#: The key → value tag a reproduction carries; its value is the id of the run it reproduces.
REPRODUCED_FROM_TAG = "reproduced_from"


def requested_id(mode: str) -> str | None:
    """The run id in ``$TRACKLOG_REPRODUCE_FROM``; None when it is unset or empty, or in
    disabled mode (nothing is logged, so there is nothing to tag).

    Raises InvalidValueError for a malformed id, and in offline mode (a journal cannot read the
    recorded run from the store).
    """
    raw = os.environ.get(ENV_REPRODUCE_FROM, "").strip()
    if not raw or mode == "disabled":
        return None
    try:
        run_id = validation.run_id(raw)
    except InvalidValueError as exc:
        raise InvalidValueError(f"{ENV_REPRODUCE_FROM}={raw!r} is not a run id: {exc}") from None
    if mode == "offline":
        raise InvalidValueError(
            f"{ENV_REPRODUCE_FROM}={run_id}: offline mode cannot read run {run_id}'s config from "
            "the store; log online to reproduce a run, or unset the variable"
        )
    return run_id


def source_run(backend: Backend, run_id: str) -> RunRecord:
    """The run being reproduced, read through the new run's ``backend`` (so from the store
    the new run logs to); NotFoundError naming the variable when that store lacks it."""
    try:
        return backend.get_run(run_id)
    except NotFoundError:
        raise NotFoundError(
            f"{ENV_REPRODUCE_FROM}={run_id}: the store this run logs to has no run with that id "
            "(point TRACKLOG_URI at the store that holds it)"
        ) from None


def reproduced_config(given: Mapping[str, Any], recorded: Mapping[str, Any]) -> dict[str, Any]:
    """``init(config=given)`` under a reproduction: the recorded values win key by key (nested
    dicts merge), keys only in ``given`` are kept."""
    return params.merge(dict(given), recorded)
