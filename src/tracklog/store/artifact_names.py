"""Names, aliases and ``name:alias`` specs of versioned artifacts, checked with clear errors."""

from __future__ import annotations

import re
from typing import Any

from tracklog.errors import InvalidTypeError, InvalidValueError

MAX_ARTIFACT_NAME = 128
MAX_ALIAS = 128
MAX_TYPE = 64
LATEST = "latest"
# W&B's characters for names and aliases; ``:`` and ``/`` separate the parts of a spec.
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_VERSION = re.compile(r"^v([0-9]{1,9})$")


def _checked(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} must be a string, got {type(value).__name__}")
    if not value or len(value) > limit or not _NAME.match(value):
        raise InvalidValueError(
            f"{what} {value[: limit + 8]!r} must be 1 to {limit} characters of letters, digits, "
            "'_', '-' and '.'"
        )
    return value


def artifact_name(value: Any) -> str:
    """An artifact's name: letters, digits, ``_ - .``, at most 128 characters."""
    return _checked(value, "artifact name", MAX_ARTIFACT_NAME)


def artifact_type(value: Any) -> str:
    """An artifact's type (``dataset``, ``model``, …): a name of at most 64 characters."""
    return _checked(value, "artifact type", MAX_TYPE)


def alias(value: Any) -> str:
    """An alias a user sets: a name that does not look like a version (``v3`` names one)."""
    value = _checked(value, "artifact alias", MAX_ALIAS)
    if _VERSION.match(value):
        raise InvalidValueError(f"artifact alias {value!r} is reserved: vN names version N")
    return value


def aliases(values: Any) -> list[str]:
    """A list of aliases, each checked, without repeats, in the order given."""
    if isinstance(values, str) or not isinstance(values, (list, tuple, set, frozenset)):
        raise InvalidTypeError(f"aliases must be a list of strings, got {type(values).__name__}")
    return list(dict.fromkeys(alias(v) for v in values))


def version_number(selector: str) -> int | None:
    """N for a selector ``vN``; None for an alias."""
    found = _VERSION.match(selector)
    return int(found.group(1)) if found else None


def parse_spec(spec: Any) -> tuple[str | None, str, str]:
    """``[[entity/]project/]name[:alias|:vN]`` → (project or None, name, selector); the
    selector is ``latest`` when none is given. The entity is accepted and ignored."""
    if not isinstance(spec, str):
        raise InvalidTypeError(f"artifact must be named by a string, got {type(spec).__name__}")
    path, _, selector = spec.partition(":")
    parts = path.split("/")
    if len(parts) > 3 or not all(parts):
        raise InvalidValueError(
            f"artifact {spec!r} must be 'name', 'name:alias', 'name:vN' or 'project/name:alias'"
        )
    selector = selector or LATEST
    if version_number(selector) is None:
        _checked(selector, "artifact alias", MAX_ALIAS)
    return (parts[-2] if len(parts) > 1 else None), artifact_name(parts[-1]), selector
