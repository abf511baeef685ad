"""Hyperband early termination (W&B's ``early_terminate: {type: hyperband}``).

At each bracket (an iteration count: the metric's ``b``-th logged value), the trials that
reached it set a threshold: the value ranked ``1/eta`` of the way from the best. A running trial
whose value at any bracket it reached is worse than that bracket's threshold is stopped (an
agent checks every few seconds, so a trial may have passed several brackets since the last
look). With
``strict: false`` (the default) a trial is judged by its best value up to the bracket, with
``strict: true`` by its value at the bracket itself.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from tracklog.store.sweep_config import Hyperband

K = TypeVar("K", bound=Hashable)


def to_stop(
    rule: Hyperband,
    goal: str,
    histories: Mapping[K, Sequence[float]],
    running: Iterable[K],
) -> set[K]:
    """The trials of ``running`` to stop, given every trial's metric history (its values in
    the order logged, finished trials included)."""
    sign = 1.0 if goal == "minimize" else -1.0
    scored = {k: [sign * v for v in h if v == v] for k, h in histories.items()}  # NaN dropped
    thresholds = {}
    for band in rule.bands:
        values = sorted(h[band] for h in scored.values() if len(h) > band)
        if values:
            thresholds[band] = values[int(len(values) / rule.eta)]
    stop = set()
    for key in running:
        history = scored.get(key, [])
        for band in rule.bands:
            if band >= len(history) or band not in thresholds:
                break
            value = history[band] if rule.strict else min(history[: band + 1])
            if value > thresholds[band]:
                stop.add(key)
                break
    return stop
