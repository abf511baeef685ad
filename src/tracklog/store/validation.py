"""Every naming and value rule of the store, in one place; the SDK and the server call these.

Each check returns the cleaned value or raises an error that names the offending value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from tracklog.errors import InvalidTypeError, InvalidValueError

MAX_NAME = 256
MAX_KEY = 250
MAX_TAG_VALUE = 8000
MAX_PARAM_VALUE = 65_536
# A stored JSON value (a config, a summary value, run metadata) nests at most this many lists
# and dicts: every reader (records, the server's encoders, the web UI) walks values
# recursively, and a few KB nested ~500 deep overflowed Python's stack on each read.
MAX_JSON_DEPTH = 32
MAX_JSON_STRING = MAX_PARAM_VALUE  # each string (and dict key) inside a stored JSON value
MAX_NOTES = 1_000_000  # a run's notes: a long markdown page fits many times over
MAX_ERROR = 65_536  # a run's error text; a longer one keeps its end (the traceback's last frames)
MAX_BATCH_ID = 64
MAX_ALERT_TITLE = 64  # W&B's limit
MAX_ALERT_TEXT = 65_536
ALERT_LEVELS = ("INFO", "WARN", "ERROR")
# One media file (an encoded image, clip, HTML page, table): refused before anything is written.
MAX_MEDIA_BYTES = 256 * 2**20
STEP_MIN, STEP_MAX = -(2**63), 2**63 - 1
RUN_STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED")
END_STATUSES = ("FINISHED", "FAILED", "KILLED")
# What other trackers and home-grown scripts call a run's end; a run ends with any of them.
END_STATUS_SYNONYMS = {
    "COMPLETED": "FINISHED",
    "SUCCESS": "FINISHED",
    "SUCCEEDED": "FINISHED",
    "CRASHED": "FAILED",
}
METRIC_GOALS = ("minimize", "maximize")
SUMMARY_MODES = ("last", "first", "min", "max", "mean", "best")  # best: min or max by goal
PERMISSIONS = ("READ", "EDIT", "MANAGE")  # each includes the ones before it
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def utf8(value: str, what: str) -> str:
    """Text the store can hold: encodable as UTF-8, so no lone surrogate (which a JSON
    ``\\ud800`` escape or Python's own strings can carry, and no database can store)."""
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError as exc:
            bad = value[exc.start : exc.end]
            raise InvalidValueError(
                f"{what} contains {bad!r}, a lone surrogate that is not text (it has no UTF-8 form)"
            ) from None
    return value


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} must be a string, got {type(value).__name__}: {value!r}")
    utf8(value, what)
    if not value.strip():
        raise InvalidValueError(f"{what} must not be empty or blank, got {value!r}")
    if len(value) > limit:
        raise InvalidValueError(
            f"{what} is {len(value)} characters long, the limit is {limit}: {value[:40]!r}..."
        )
    bad = _CONTROL.search(value)
    if bad:
        raise InvalidValueError(
            f"{what} {value!r} contains the control character {bad.group()!r}, "
            "which the store cannot hold"
        )
    return value


def bounded(value: Any, what: str, limit: int = MAX_NAME) -> str:
    """Free text (a user, a host name, a batch id) of at most ``limit`` characters."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} must be a string, got {type(value).__name__}: {value!r}")
    if len(value) > limit:
        raise InvalidValueError(
            f"{what} is {len(value)} characters long, the limit is {limit}: {value[:40]!r}..."
        )
    return utf8(value, what)


def name(value: Any, what: str = "name") -> str:
    """A project or run name: non-blank text of at most 256 characters, no control characters."""
    return _text(value, what, MAX_NAME)


def key(value: Any, what: str = "key") -> str:
    """A metric, param or tag key: non-blank, at most 250 characters, no control characters,
    no leading or trailing white space."""
    _text(value, what, MAX_KEY)
    if value != value.strip():
        raise InvalidValueError(f"{what} {value!r} has leading or trailing white space")
    return value


def run_id(value: Any) -> str:
    """A run id: 1-32 letters, digits, '_' or '-'."""
    if not isinstance(value, str) or not _RUN_ID.match(value):
        raise InvalidValueError(f"run id must be 1-32 letters, digits, '_' or '-', got {value!r}")
    return value


def tag_value(value: Any, tag: str) -> str:
    """A tag's value: text (numbers are turned into text) of at most 8000 characters."""
    if isinstance(value, bool | int | float):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidTypeError(f"tag {tag!r}: value must be a string, got {type(value).__name__}")
    if len(value) > MAX_TAG_VALUE:
        raise InvalidValueError(f"tag {tag!r}: value is longer than {MAX_TAG_VALUE} characters")
    if "\x00" in value:
        raise InvalidValueError(f"tag {tag!r}: value contains a NUL character")
    return utf8(value, f"tag {tag!r}: value")


def user_name(value: Any) -> str:
    """A user name: a name without ':' (HTTP basic auth splits ``user:password`` at the first
    ':') and without leading or trailing white space."""
    _text(value, "user name", MAX_NAME)
    if ":" in value or value != value.strip():
        raise InvalidValueError(
            f"user name {value!r} must not contain ':' or leading or trailing white space"
        )
    return value


def password(value: Any) -> str:
    """A password: 8 to 1024 characters. The message never repeats the password."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"password must be a string, got {type(value).__name__}")
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidValueError(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long, got {len(value)}"
        )
    return value


def permission(value: Any) -> str:
    """A project permission, READ, EDIT or MANAGE (any case); returned upper-case."""
    cleaned = value.upper() if isinstance(value, str) else value
    if cleaned not in PERMISSIONS:
        raise InvalidValueError(f"permission must be one of {', '.join(PERMISSIONS)}: {value!r}")
    return cleaned


def status(value: Any) -> str:
    """A run status, one of RUNNING, FINISHED, FAILED, KILLED."""
    if value not in RUN_STATUSES:
        raise InvalidValueError(f"run status must be one of {', '.join(RUN_STATUSES)}: {value!r}")
    return value


def end_status(value: Any) -> str:
    """The status a run ends with: FINISHED, FAILED or KILLED, or a synonym of one of them
    (:data:`END_STATUS_SYNONYMS`), in any case; returned as the store's name."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"a run's end status must be a string, got {value!r}")
    cleaned = value.strip().upper()
    cleaned = END_STATUS_SYNONYMS.get(cleaned, cleaned)
    if cleaned not in END_STATUSES:
        synonyms = ", ".join(s.lower() for s in END_STATUS_SYNONYMS)
        raise InvalidValueError(
            f"a run's end status must be one of {', '.join(END_STATUSES)} (any case; also "
            f"{synonyms}), got {value!r}"
        )
    return cleaned


def integer(value: Any, what: str, bits: int = 64) -> int | None:
    """None, or an integer that fits the store's signed ``bits``-bit column (a time in ms,
    a pid, a size)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{what} must be an integer, got {value!r}")
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise InvalidValueError(f"{what} {value} is outside the {bits}-bit integer range")
    return value


def exit_code(value: Any) -> int | None:
    """A process exit code: None or a 32-bit integer."""
    return integer(value, "exit code", 32)


def step(value: Any, metric: str = "") -> int:
    """A step: an integer (or integral float) in the int64 range."""
    where = f" for {metric!r}" if metric else ""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        elif hasattr(value, "__index__"):
            value = value.__index__()
        else:
            raise InvalidValueError(f"step{where} must be a finite integer, got {value!r}")
    if not STEP_MIN <= value <= STEP_MAX:
        raise InvalidValueError(f"step{where} {value} is outside the 64-bit integer range")
    return value


def context(value: Any) -> str:
    """A metric context (a dict of strings) as canonical JSON; "" for no context."""
    if value is None or value == {}:
        return ""
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"context must be a dict of strings, got {type(value).__name__}")
    for k, v in value.items():
        key(k, "context key")
        if not isinstance(v, str | int | float | bool):
            raise InvalidTypeError(
                f"context {k!r}: value must be a string, number or bool, got {type(v).__name__}"
            )
    return json.dumps(dict(value), sort_keys=True, separators=(",", ":"))


def summary_mode(value: Any) -> str:
    """A summary mode for ``define_metric``: last, first, min, max, mean or best."""
    if value not in SUMMARY_MODES:
        raise InvalidValueError(f"summary must be one of {', '.join(SUMMARY_MODES)}: {value!r}")
    return value


def metric_def(value: Any) -> dict[str, Any]:
    """A ``define_metric`` declaration: a glob ``name``, and optionally a ``summary`` mode,
    a ``goal`` (minimize or maximize) and a ``step_metric`` (a metric key); returned with
    the options that are set."""
    if not isinstance(value, Mapping):
        raise InvalidValueError(f"a metric definition must be a dict, got {value!r}")
    item = {"name": key(value.get("name"), "metric name")}
    if value.get("summary") is not None:
        item["summary"] = summary_mode(value["summary"])
    if value.get("goal") is not None:
        if value["goal"] not in METRIC_GOALS:
            raise InvalidValueError(f"goal must be 'minimize' or 'maximize': {value['goal']!r}")
        item["goal"] = value["goal"]
    if value.get("step_metric") is not None:
        item["step_metric"] = key(value["step_metric"], "step metric")
    if item.get("summary") == "best" and "goal" not in item:
        raise InvalidValueError(
            f"summary='best' of {item['name']!r} needs goal='minimize' or goal='maximize'"
        )
    return item


def tags(values: Mapping[Any, Any]) -> dict[str, str]:
    """Key → value tags: each key a :func:`key`, each value a :func:`tag_value`."""
    if not isinstance(values, Mapping):
        raise InvalidTypeError(f"tags must be a dict, got {type(values).__name__}")
    return {key(k, "tag key"): tag_value(v, k) for k, v in values.items()}


def summary_values(values: Mapping[Any, Any]) -> dict[str, Any]:
    """Summary values set by hand: each key a :func:`key`, each value JSON data."""
    if not isinstance(values, Mapping):
        raise InvalidTypeError(f"summary values must be a dict, got {type(values).__name__}")
    return {key(k, "summary key"): json_value(v, f"summary {k!r}") for k, v in values.items()}


def run_fields(group: Any = None, job_type: Any = None, notes: Any = None) -> None:
    """A new run's group and job type (names) and notes, those that are given."""
    for what, value in (("group", group), ("job_type", job_type)):
        if value is not None:
            name(value, what)
    run_notes(notes)


def json_value(value: Any, what: str) -> Any:
    """A config, summary or metadata value as plain JSON data (numpy scalars and arrays
    converted), nested at most ``MAX_JSON_DEPTH`` lists and dicts deep, each string (and dict
    key) at most ``MAX_JSON_STRING`` characters.

    Raises naming ``what`` (the key) if the value has no JSON form or breaks a limit.
    """
    return _json_value(value, what, 0)


def _json_value(value: Any, what: str, depth: int) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _json_string(value, what)
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return _json_value(value.tolist(), what, depth)
    if not isinstance(value, Mapping | list | tuple):
        raise InvalidTypeError(
            f"{what}: a value of type {type(value).__name__} cannot be stored as JSON "
            "(use numbers, strings, bools, None, lists or dicts)"
        )
    depth += 1
    if depth > MAX_JSON_DEPTH:
        raise InvalidValueError(
            f"{_short(what)}: nested more than {MAX_JSON_DEPTH} lists and dicts deep, the limit "
            "for a stored value"
        )
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidTypeError(f"{_short(what)}: keys must be strings, got {k!r}")
            out[_json_string(k, f"{what}: a key")] = _json_value(v, f"{what}.{k}", depth)
        return out
    return [_json_value(v, f"{what}[{i}]", depth) for i, v in enumerate(value)]


def _json_string(value: str, what: str) -> str:
    utf8(value, _short(what))
    if len(value) > MAX_JSON_STRING:
        raise InvalidValueError(
            f"{_short(what)}: a string of {len(value)} characters, the limit is "
            f"{MAX_JSON_STRING}: {value[:40]!r}..."
        )
    return value


def _short(what: str) -> str:
    """A key path for a message: a path 32 keys deep can be thousands of characters."""
    return what if len(what) <= 300 else f"{what[:300]}..."


def canonical_context(value: Any, what: str) -> str:
    """A context as a record carries it: canonical JSON of a dict (what :func:`context`
    makes), or "" for none; refused naming ``what`` (the series or media key) otherwise."""
    if not isinstance(value, str):  # null from a client: the column holds text
        raise InvalidTypeError(
            f'{what}: context must be a string, canonical JSON of a dict or "" for none, '
            f"got {value!r}"
        )
    if value:
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(parsed, dict) or context(parsed) != value:
            raise InvalidValueError(
                f"{what}: context must be canonical JSON of a dict, got {value!r}"
            )
    return value


def series_points(points: Any) -> None:
    """A batch entry for one series: a valid key, a canonical context, equal-length int64
    steps, float64 values and int64 timestamps."""
    key(points.key, "metric key")
    canonical_context(points.context, f"metric {points.key!r}")
    n = len(points.steps)
    if len(points.values) != n or len(points.timestamps) != n:
        raise InvalidValueError(
            f"metric {points.key!r}: {n} steps but {len(points.values)} values and "
            f"{len(points.timestamps)} timestamps"
        )
    kinds = (points.steps.dtype.kind, points.values.dtype.kind, points.timestamps.dtype.kind)
    if kinds != ("i", "f", "i"):
        raise InvalidTypeError(
            f"metric {points.key!r}: steps and timestamps must be integers and values floats"
        )


def free_text(value: Any, what: str, limit: int = MAX_PARAM_VALUE) -> str:
    """Free text that may be empty (a description, a source URI): at most ``limit``
    characters and no NUL, which PostgreSQL cannot store."""
    bounded(value, what, limit)
    if "\x00" in value:
        raise InvalidValueError(f"{what} contains a NUL character")
    return value


def alert(alert_id: Any, title: Any, text: Any, level: Any) -> tuple[str, str, str, str]:
    """An alert's id (a batch id's rules), title (a name of at most 64 characters), text
    (free text) and level (INFO, WARN or ERROR)."""
    if level not in ALERT_LEVELS:
        raise InvalidValueError(f"alert level must be one of {', '.join(ALERT_LEVELS)}: {level!r}")
    return (
        _text(alert_id, "alert id", MAX_BATCH_ID),
        _text(title, "alert title", MAX_ALERT_TITLE),
        free_text(text, "alert text", MAX_ALERT_TEXT),
        str(level),
    )


def run_notes(value: Any) -> str | None:
    """A run's notes (None: no change): text of at most ``MAX_NOTES`` characters."""
    return None if value is None else free_text(value, "notes", MAX_NOTES)


def error_text(value: Any) -> str | None:
    """A run's error text: never refused (it comes with a run's end, which must not be lost);
    past ``MAX_ERROR`` characters only its end is kept, after a marker saying so."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) <= MAX_ERROR:
        return text
    marker = f"[the first {len(text) - MAX_ERROR + 200} characters were cut]\n"
    return marker + text[len(text) - MAX_ERROR + 200 :]


def decimal_id(value: Any, max_digits: int = 18) -> int | None:
    """The number that a text of 1 to ``max_digits`` ASCII digits stands for (an experiment
    id); None for anything else. ``str.isdigit`` and ``int`` also take other scripts' digits
    ('١'), signs, blanks and '_'."""
    if not isinstance(value, str) or len(value) > max_digits:
        return None
    return int(value) if _ASCII_DIGITS.fullmatch(value) else None
