"""Search cost is bounded: the number of comparisons, order keys and list values and the length
of a filter are limited, and a filter at the limits still answers correctly on both databases
(PostgreSQL took 17 s to plan 200 ANDed comparisons; SQLite failed past ~1,000)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tracklog.errors import InvalidValueError
from tracklog.store.search_parse import (
    MAX_FILTER_CHARS,
    MAX_FILTER_CLAUSES,
    MAX_FILTER_VALUES,
    MAX_ORDER_KEYS,
    parse_filter,
    parse_order_by,
)
from tracklog.store.tracking import Store

KEYS = 10  # config keys p0..p9 per run


@pytest.fixture
def runs(store: Store) -> Iterator[tuple[Store, dict[str, int]]]:
    """Twelve runs: run i has p0..p9 = i and j, metric acc = i / 10, tag team a or b."""
    ids: dict[str, int] = {}
    for i in range(12):
        run = store.create_run(project="p", config={f"p{j}": i + j for j in range(KEYS)})
        store.set_summary(run.id, {"acc": i / 10})
        store.set_tags(run.id, {"team": "a" if i % 2 else "b"})
        ids[run.id] = i
    yield store, ids


def _conjunction(n: int) -> str:
    """``n`` comparisons over params, metrics and tags that runs 3..9 with an odd i pass."""
    terms = []
    for k in range(n):
        j = k % KEYS
        terms.append(
            [
                f"params.p{j} >= {3 + j}",
                f"params.p{j} <= {9 + j}",
                "metrics.acc > 0.25",
                "tags.team = 'a'",
                "tags.team != 'b'",
                "params.p0 NOT IN (2, 4)",
            ][k % 6]
        )
    return " AND ".join(terms)


def _expected(ids: dict[str, int], n: int) -> set[str]:
    checks = [
        lambda i, j: i >= 3,
        lambda i, j: i <= 9,
        lambda i, j: i / 10 > 0.25,
        lambda i, j: i % 2 == 1,
        lambda i, j: i % 2 == 1,
        lambda i, j: i not in (2, 4),
    ]
    return {r for r, i in ids.items() if all(checks[k % 6](i, k % KEYS) for k in range(n))}


@pytest.mark.parametrize("n", [2, 5, 50, MAX_FILTER_CLAUSES])
def test_many_comparisons_answer_correctly(runs: tuple[Store, dict[str, int]], n: int) -> None:
    store, ids = runs
    found = store.search_run_ids(["p"], _conjunction(n))
    assert set(found) == _expected(ids, n)
    if n >= 4:  # every kind of comparison is in
        assert sorted(ids[r] for r in found) == [3, 5, 7, 9]


def test_comparisons_past_the_limit_are_refused() -> None:
    with pytest.raises(InvalidValueError, match=f"at most {MAX_FILTER_CLAUSES} comparisons"):
        parse_filter(_conjunction(MAX_FILTER_CLAUSES + 1))


def test_order_keys_at_the_limit_work(runs: tuple[Store, dict[str, int]]) -> None:
    store, ids = runs
    order = ["metrics.acc DESC", *(f"params.p{j % KEYS}" for j in range(MAX_ORDER_KEYS - 1))]
    found = store.search_run_ids(["p"], None, order)
    assert found == sorted(ids, key=lambda r: -ids[r])


def test_order_keys_past_the_limit_are_refused() -> None:
    with pytest.raises(InvalidValueError, match=f"at most {MAX_ORDER_KEYS} order-by"):
        parse_order_by([f"params.p{j}" for j in range(MAX_ORDER_KEYS + 1)])


def test_list_values_at_and_past_the_limit(runs: tuple[Store, dict[str, int]]) -> None:
    store, ids = runs
    at_limit = ", ".join(str(v) for v in range(MAX_FILTER_VALUES))
    assert len(store.search_run_ids(["p"], f"params.p0 IN ({at_limit})")) == len(ids)
    past = f"params.p0 IN ({at_limit}) AND params.p1 IN (1)"
    with pytest.raises(InvalidValueError, match=f"at most {MAX_FILTER_VALUES} values"):
        parse_filter(past)


def test_filter_text_past_the_limit_is_refused() -> None:
    at_limit = "params.p0 = '" + "x" * (MAX_FILTER_CHARS - 15) + "'"
    assert len(at_limit) == MAX_FILTER_CHARS - 1
    assert parse_filter(at_limit)[0].key == "p0"
    with pytest.raises(InvalidValueError, match=f"at most {MAX_FILTER_CHARS:,} characters"):
        parse_filter(at_limit + "  ")
