"""Replaying recorded write calls (journal records, ingest requests) into a store.

Only the operations named in :data:`OPS` can be replayed. Metric batches carry ids the store
remembers and every other write is idempotent, so replaying a record twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store.tracking import Store
from tracklog.store.wire import Record

OPS = frozenset(
    {
        "create_run",
        "resume_run",
        "set_config",
        "set_tags",
        "add_labels",
        "remove_labels",
        "set_summary",
        "set_metric_defs",
        "append_metrics",
        "heartbeat",
        "update_run",
        "finish_run",
        "log_artifact",
    }
)


def apply(store: Store, record: Record, files: Callable[[str], Path] | None = None) -> None:
    """Apply one recorded call to ``store``.

    ``create_run`` of a run that exists resumes it (a replay, or ``resume=`` offline);
    ``log_artifact`` reads its file through ``files`` (source name → local path).
    """
    if record.op not in OPS:
        raise InvalidValueError(f"unknown operation {record.op!r} in a recorded call")
    args = dict(record.args)
    try:
        if record.op == "create_run":
            _create_or_resume(store, args)
        elif record.op == "log_artifact":
            if files is None:
                raise InvalidValueError("a recorded log_artifact call needs its file")
            store.log_artifact(args["run_id"], files(args["source"]), args["dest"])
        else:
            getattr(store, record.op)(**args)
    except TypeError as exc:  # wrong or missing arguments in the record
        raise InvalidValueError(f"bad arguments for {record.op}: {exc}") from exc
    except KeyError as exc:
        raise InvalidValueError(f"{record.op} is missing the argument {exc}") from exc


def _create_or_resume(store: Store, args: dict[str, Any]) -> None:
    resume = args.pop("resume", None)
    if store.has_run(args["run_id"]):
        store.resume_run(
            args["run_id"],
            pid=args.get("pid"),
            host=args.get("host"),
            pid_started=args.get("pid_started"),
        )
    elif resume == "must":
        raise NotFoundError(
            f"the run was started with resume='must', but the store has no run {args['run_id']!r}"
        )
    else:
        store.create_run(**args)
