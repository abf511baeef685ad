"""One paging rule: page requests checked by ``PageSpec``, pages sliced in the database."""

from __future__ import annotations

import pytest

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store.paging import Page, PageSpec, token
from tracklog.store.run_query import RunQuery
from tracklog.store.tracking import Store


@pytest.fixture
def seven_runs(store: Store) -> list[str]:
    ids = []
    for i in range(7):
        run = store.create_run("p", name=f"r{i}", config={"i": i})
        store.set_summary(run.id, {"score": i % 3})  # ties: the order's tie-breakers decide
        ids.append(run.id)
    store.create_run("other")
    return ids


def test_every_page_is_the_slice_of_the_whole_search(store: Store, seven_runs: list[str]) -> None:
    order = ["metrics.score DESC"]
    every = store.search_run_ids(["p"], None, order)
    assert sorted(every) == sorted(seven_runs)
    for limit in (1, 3, 7, 10):
        for offset in range(0, 9):
            query = RunQuery.of(["p"], None, order, page=PageSpec(offset, limit))
            page = store.search_page(query, count=True)
            assert page.items == every[offset : offset + limit], (offset, limit)
            assert (page.offset, page.total) == (offset, 7)
            assert page.more == (offset + limit < 7)
            assert page.next_offset == (offset + limit if page.more else None)


def test_a_page_counts_only_when_asked_and_obeys_filter_and_projects(
    store: Store, seven_runs: list[str]
) -> None:
    page = store.search_page(RunQuery.of(["p"], "params.i < 2", page=PageSpec(0, 5)))
    assert (len(page.items), page.total, page.more) == (2, None, False)
    every = RunQuery.of(None, lifecycle="all", page=PageSpec(0, 50))
    assert store.search_page(every, count=True).total == 8
    with pytest.raises(NotFoundError):
        store.search_page(RunQuery.of(["nope"], page=PageSpec(0, 5)))
    with pytest.raises(InvalidValueError, match="lifecycle"):
        RunQuery.of(["p"], lifecycle="gone")


def test_runs_and_ids_page_alike_and_every_match_without_a_page(
    store: Store, seven_runs: list[str]
) -> None:
    order = ("metrics.score DESC",)
    every = store.search_page(RunQuery(order_by=order, projects=("p",)))
    assert (len(every.items), every.more, every.next_token) == (7, False, None)
    for offset in (0, 3, 6):
        query = RunQuery(order_by=order, projects=("p",), page=PageSpec(offset, 3))
        runs, ids = store.search_runs_page(query), store.search_page(query)
        assert [r.id for r in runs.items] == ids.items == every.items[offset : offset + 3]
        assert runs.next_offset == ids.next_offset == (offset + 3 if offset < 4 else None)


def test_projects_and_experiment_ids_narrow_together(store: Store, seven_runs: list[str]) -> None:
    p, other = store.project_ids(["p", "other"])
    both = RunQuery(projects=("p", "other"), experiment_ids=(other,))
    assert len(store.search_page(both).items) == 1
    assert len(store.search_page(RunQuery(experiment_ids=(p,))).items) == 7


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"order_by": [1]}, "order_by"),
        ({"projects": ["p", None]}, "projects"),
        ({"filter": 3}, "filter"),
        ({"lifecycle": "archived"}, "lifecycle"),
        ({"experiment_ids": [1, True]}, "experiment_ids"),
    ],
)
def test_a_bad_query_is_refused_naming_its_field(arguments: dict, named: str) -> None:
    with pytest.raises(InvalidValueError, match=named):
        RunQuery.of(**arguments)
    direct = {k: tuple(v) if isinstance(v, list) else v for k, v in arguments.items()}
    with pytest.raises(InvalidValueError, match=named):
        RunQuery(**direct)  # made directly, checked alike


@pytest.mark.parametrize(
    ("offset", "limit", "named"),
    [
        (-1, 5, "offset"),
        (0, 0, "limit"),
        (0, 1001, "limit"),
        (True, 5, "offset"),
        (0, "5", "limit"),
    ],
)
def test_a_bad_page_request_is_refused_naming_its_field(
    offset: object, limit: object, named: str
) -> None:
    with pytest.raises(InvalidValueError, match=named):
        PageSpec.checked(offset, limit, 1000)


def test_page_tokens_round_trip_and_bad_ones_are_refused() -> None:
    page = Page.of(["a", "b", "c"], PageSpec(4, 2))
    assert (page.items, page.more, page.next_offset) == (["a", "b"], True, 6)
    assert PageSpec.from_token(page.next_token, 2, 10) == PageSpec(6, 2)
    assert PageSpec.from_token(None, 3, 10) == PageSpec(0, 3)
    assert Page.of(["a"], PageSpec(0, 2)).next_token is None
    for bad in ("%%%", token(-1), "bm90IGpzb24=", "W10="):  # not base64, negative, text, []
        with pytest.raises(InvalidValueError, match="invalid page_token"):
            PageSpec.from_token(bad, 2, 10)
    for size in (0, 11):  # MLflow's message for either
        with pytest.raises(
            InvalidValueError, match=f"max_results must be between 1 and 10, got {size}"
        ):
            PageSpec.from_token(None, size, 10)


def test_counts_past_a_databases_integers_are_refused_not_failed_on(store: Store) -> None:
    store.create_run("p")
    huge = 2**63 - 1  # the largest 64-bit integer: the page's one extra row would overflow
    with pytest.raises(InvalidValueError, match="offset"):
        PageSpec.checked(huge, 5, None)
    with pytest.raises(InvalidValueError, match="limit"):
        PageSpec.first(huge)
    with pytest.raises(InvalidValueError, match="invalid page_token"):
        PageSpec.from_token(token(2**63), 5, None)
    largest = PageSpec.checked(2**62, 2**62, None)  # the largest page answers, empty
    assert store.search_page(RunQuery(page=largest)).items == []
