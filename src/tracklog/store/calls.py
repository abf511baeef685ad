"""Replaying recorded write calls (journal records, ingest requests) into a store.

Only the operations named in :data:`OPS` can be replayed. Metric, media and histogram batches
and config changes carry ids the store remembers and every other write is idempotent, so
replaying a record twice changes nothing.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tracklog.store.records import HistogramItem, MediaItem, SeriesPoints
from tracklog.store.tracking import Store
from tracklog.store.wire import Record

GROUP_POINTS = 1_000_000  # points of consecutive metric records written in one transaction

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
        "log_media",
        "log_histograms",
        "heartbeat",
        "update_run",
        "finish_run",
        "log_artifact",
        "add_alert",
    }
)


@dataclass(frozen=True)
class RunAccess:
    """Checks a ``create_run`` record passes as it is applied, each raising to refuse it:
    ``create`` gets the project of a run about to be created, ``resume`` the id of an existing
    run about to be resumed (a server checks its user's permissions here, when it is known
    which of the two happens)."""

    create: Callable[[str], None]
    resume: Callable[[str], None]


def apply(
    store: Store,
    record: Record,
    files: Callable[[str], Path] | None = None,
    access: RunAccess | None = None,
) -> Any:
    """Apply one recorded call to ``store``; return what the store method returned.

    ``create_run`` of a run that exists resumes it (a replay, ``resume=`` offline, or another
    process starting the same id), after ``access``'s check of what it does;
    ``log_artifact`` reads its file through ``files`` (source name → local path).
    """
    if record.op not in OPS:
        raise InvalidValueError(f"unknown operation {record.op!r} in a recorded call")
    args = dict(record.args)
    if record.op != "log_artifact":
        check_args(getattr(type(store), record.op), record.op, args)
    try:
        if record.op == "create_run":
            _create_or_resume(store, args, access)
            return None
        if record.op == "log_artifact":
            if files is None:
                raise InvalidValueError("a recorded log_artifact call needs its file")
            return store.log_artifact(args["run_id"], files(args["source"]), args["dest"])
        return getattr(store, record.op)(**args)
    except TypeError as exc:  # wrong or missing arguments in the record
        raise InvalidValueError(f"bad arguments for {record.op}: {exc}") from exc
    except KeyError as exc:
        raise InvalidValueError(f"{record.op} is missing the argument {exc}") from exc


def apply_all(
    store: Store,
    records: Sequence[Record],
    access: RunAccess | None = None,
    applied: Callable[[Record, Any], None] | None = None,
) -> None:
    """Apply ``records`` in order, as :func:`apply` one by one would; a run of
    ``append_metrics`` records of one run is applied as one :meth:`Store.append_batches` (one
    transaction, one rewrite of each tail chunk) of up to :data:`GROUP_POINTS` points.
    ``applied`` gets each record applied alone and what the store answered (a server notifies
    of a new alert through it)."""
    i = 0
    while i < len(records):
        end = _metrics_group_end(records, i)
        if end - i == 1:
            answer = apply(store, records[i], access=access)
            if applied is not None:
                applied(records[i], answer)
        else:
            group = records[i:end]
            for record in group:
                check_args(Store.append_metrics, record.op, record.args)
            try:
                store.append_batches(
                    group[0].args["run_id"],
                    [(r.args["batch"], r.args.get("batch_id")) for r in group],
                )
            except KeyError as exc:
                raise InvalidValueError(f"append_metrics is missing the argument {exc}") from exc
        i = end


def _metrics_group_end(records: Sequence[Record], start: int) -> int:
    """The end of the run of ``append_metrics`` records of one run from ``start`` (bounded by
    :data:`GROUP_POINTS`); ``start + 1`` when there is none to group."""
    first = records[start]
    run_id = first.args.get("run_id")
    if first.op != "append_metrics" or not _groupable(first.args):
        return start + 1
    points, end = _points(first.args), start + 1
    while end < len(records):
        args = records[end].args
        if records[end].op != "append_metrics" or args.get("run_id") != run_id:
            break
        if not _groupable(args) or points + _points(args) > GROUP_POINTS:
            break
        points += _points(args)
        end += 1
    return end


def _groupable(args: Mapping[str, Any]) -> bool:
    # Anything unusual (unknown or missing arguments) goes alone, to get apply()'s own error.
    return set(args) <= {"run_id", "batch", "batch_id"} and isinstance(args.get("batch"), list)


def _points(args: Mapping[str, Any]) -> int:
    return sum(len(p.steps) for p in args["batch"] if isinstance(p, SeriesPoints))


def _create_or_resume(store: Store, args: dict[str, Any], access: RunAccess | None) -> None:
    """Create the run, or resume it if it exists; the insert decides, not the lookup, so two
    writers of one new id both succeed (the second resumes)."""
    resume, run_id = args.pop("resume", None), args["run_id"]
    if not store.has_run(run_id):
        if resume == "must":
            raise NotFoundError(
                f"the run was started with resume='must', but the store has no run {run_id!r}"
            )
        if access is not None:
            access.create(args["project"])
        try:
            store.create_run(**args)
            return
        except AlreadyExistsError:
            pass  # created since the lookup (by another process, or user): resume it instead
    if access is not None:
        access.resume(run_id)
    store.resume_run(
        run_id, pid=args.get("pid"), host=args.get("host"), pid_started=args.get("pid_started")
    )


def check_args(method: Callable[..., Any], op: str, args: Mapping[str, Any]) -> None:
    """Check recorded arguments against the store method's type hints (JSON from a journal
    or a request can hold anything), so a wrong type is refused naming the argument instead
    of reaching the database."""
    hints = _hints(method)
    for name, value in args.items():
        hint = hints.get(name)
        if hint is not None and not _fits(value, hint):
            raise InvalidValueError(
                f"{op}: argument {name!r} must be {_describe(hint)}, got {type(value).__name__}"
            )


@functools.lru_cache(maxsize=64)
def _hints(method: Callable[..., Any]) -> dict[str, Any]:
    return typing.get_type_hints(method)


_INT64 = range(-(2**63), 2**63)


def _fits(value: Any, hint: Any) -> bool:
    origin, params = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, p) for p in params)
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if hint is int:  # bool is an int to Python, not to the database; so are huge ints
        return isinstance(value, int) and not isinstance(value, bool) and value in _INT64
    if hint in (str, SeriesPoints, MediaItem, HistogramItem):
        return isinstance(value, hint)
    if origin is not None and issubclass(origin, Mapping):
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    if origin is not None and issubclass(origin, Sequence | Iterable):
        return isinstance(value, list) and all(_fits(v, params[0]) for v in value)
    return True  # a hint this checker does not know: the store's own validation decides


def _describe(hint: Any) -> str:
    params = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(p) for p in params)
    origin = typing.get_origin(hint)
    if origin is not None and issubclass(origin, Mapping):
        return "an object"
    if origin is not None:
        return f"a list ({_describe(params[0])} each)"
    names = {
        str: "a string",
        int: "a 64-bit integer",
        type(None): "null",
        SeriesPoints: "a series",
        MediaItem: "a media item",
        HistogramItem: "a histogram",
    }
    return names.get(hint, getattr(hint, "__name__", str(hint)))
