"""Turning what a user typed (a full run id or a unique prefix of one) into a run: the one
rule `Api.run` and every `tracklog runs` command follow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store import validation
from tracklog.store.records import RunRecord

if TYPE_CHECKING:
    from tracklog.store.interface import TrackingStore

MIN_PREFIX = 4
_MAX_CANDIDATES = 5


def resolve_run(store: TrackingStore, ref: str) -> RunRecord:
    """The run whose id is ``ref`` or, failing that, starts with ``ref`` (4+ characters).

    Runs in the trash count too, so ``runs restore`` and ``runs show`` accept prefixes.
    """
    try:
        return store.get_run(ref)
    except NotFoundError:
        pass
    try:
        validation.run_id(ref)
    except InvalidValueError:
        raise NotFoundError(f"no run with id {ref!r}") from None
    if len(ref) < MIN_PREFIX:
        raise NotFoundError(
            f"no run with id {ref!r} (an id prefix needs at least {MIN_PREFIX} characters)"
        )
    # Run ids hold only letters, digits, '_' and '-'; '_' is LIKE's one-character wildcard.
    pattern = ref.replace("_", "\\_") + "%"
    matches = store.search_runs(
        filter=f"attributes.run_id LIKE '{pattern}'",
        lifecycle="all",
        limit=_MAX_CANDIDATES + 1,
    )
    if not matches:
        raise NotFoundError(f"no run with id or id prefix {ref!r}")
    if len(matches) > 1:
        shown = ", ".join(f"{r.id} ({r.name})" for r in matches[:_MAX_CANDIDATES])
        more = ", ..." if len(matches) > _MAX_CANDIDATES else ""
        raise InvalidValueError(
            f"run id prefix {ref!r} is ambiguous; it matches {shown}{more}: type more characters"
        )
    return matches[0]


def resolve_runs(store: TrackingStore, refs: tuple[str, ...] | list[str]) -> list[RunRecord]:
    """:func:`resolve_run` for each of ``refs``, in order."""
    return [resolve_run(store, ref) for ref in refs]
