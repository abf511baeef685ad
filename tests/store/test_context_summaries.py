"""Series tracked with a context get a summary named ``key[name=value]``, which filters,
order-by clauses and project keys use, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from tracklog.errors import FilterSyntaxError, InvalidValueError
from tracklog.store import schema, validation
from tracklog.store.context_keys import context_suffix, summary_key
from tracklog.store.engine import writing
from tracklog.store.migrate import HEAD_REVISION, MIGRATIONS_DIR
from tracklog.store.records import SeriesPoints
from tracklog.store.search_parse import MAX_FILTER_CLAUSES, Comparison, parse_filter
from tracklog.store.tracking import Store


def points(key: str, values: list[float], context: dict[str, object] | None = None) -> SeriesPoints:
    n = len(values)
    return SeriesPoints(
        key,
        validation.context(context),
        np.arange(n, dtype=np.int64),
        np.asarray(values, np.float64),
        np.arange(1_000, 1_000 + n, dtype=np.int64),
    )


def _runs_with_val_acc(store: Store) -> dict[str, str]:
    """Three runs whose val accuracy (context subset=val) ends at 0.5, 0.95 and 0.8."""
    ids = {}
    for name, train, val in [("a", 0.99, 0.5), ("b", 0.6, 0.95), ("c", 0.7, 0.8)]:
        run = store.create_run("p", name=name)
        store.append_metrics(
            run.id,
            [
                points("acc", [0.1, train], {"subset": "train"}),
                points("acc", [0.2, val], {"subset": "val"}),
                points("loss", [1.0]),
            ],
        )
        ids[name] = run.id
    return ids


# --- the names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "suffix"),
    [
        ({}, ""),
        ({"subset": "val"}, "[subset=val]"),
        ({"subset": "val", "fold": 1}, "[fold=1,subset=val]"),
        ({"fold": "1"}, '[fold="1"]'),
        ({"ema": True, "w": 0.5}, "[ema=true,w=0.5]"),
        ({"the set": 'a "b"\\c'}, '["the set"="a \\"b\\"\\\\c"]'),
        ({"x": "true"}, '[x="true"]'),
    ],
)
def test_context_suffix_is_canonical(context: dict[str, object], suffix: str) -> None:
    assert context_suffix(context) == suffix
    assert summary_key("acc", validation.context(context)) == "acc" + suffix


@pytest.mark.parametrize(
    "context",
    [{"subset": "val"}, {"fold": 1, "subset": "val"}, {"fold": "1"}, {"the set": 'a "b"\\c'}],
)
def test_a_filter_of_the_canonical_name_parses_back_to_it(context: dict[str, object]) -> None:
    key = "acc" + context_suffix(context)
    assert parse_filter(f"metrics.{key} > 1") == [Comparison("metric", key, ">", 1)]


@pytest.mark.parametrize(
    "text",
    [
        "metrics.acc[subset=val] > 0.9",
        "metrics.acc[subset='val'] > 0.9",
        'metrics."acc"[ subset = "val" ] > 0.9',
        "metrics.`acc`[`subset`=val] > 0.9",
        "metrics.`acc[subset=val]` > 0.9",
    ],
)
def test_context_filter_spellings(text: str) -> None:
    assert parse_filter(text) == [Comparison("metric", "acc[subset=val]", ">", 0.9)]


def test_context_order_of_names_does_not_matter() -> None:
    one = parse_filter("metrics.acc[subset=val, fold=2] > 0")
    assert one == parse_filter("metrics.acc[fold=2,subset=val] > 0")
    assert one[0].key == "acc[fold=2,subset=val]"


@pytest.mark.parametrize(
    ("text", "message", "pos"),
    [
        ("metrics.acc[subset=val > 1", "expected ',' or ']'", 23),
        ("metrics.acc[subset val] > 1", "expected '=' after context name 'subset'", 19),
        ("metrics.acc[] > 1", "expected a context name, found ']'", 12),
        ("metrics.acc[a=] > 1", "expected a context value, found ']'", 14),
        ("metrics.acc[a=1,a=2] > 1", "context name 'a' is given twice", 16),
        ("params.lr[a=b] = 1", "follows metric keys only, not params.", 9),
        ("metrics.acc[a='b] > 1", "unterminated quoted value", 14),
    ],
)
def test_bad_contexts_name_the_bad_part(text: str, message: str, pos: int) -> None:
    with pytest.raises(FilterSyntaxError) as err:
        parse_filter(text)
    assert message in str(err.value)
    assert err.value.position == pos


def test_context_comparisons_count_toward_the_clause_limit() -> None:
    text = " AND ".join(f"metrics.acc[fold={i}] > 0" for i in range(MAX_FILTER_CLAUSES + 1))
    with pytest.raises(InvalidValueError, match=f"at most {MAX_FILTER_CLAUSES} comparisons"):
        parse_filter(text)


# --- in the store ---------------------------------------------------------------------------


def test_each_context_series_has_a_summary(store: Store) -> None:
    ids = _runs_with_val_acc(store)
    summary = store.get_run(ids["b"]).summary
    assert summary == {"acc[subset=train]": 0.6, "acc[subset=val]": 0.95, "loss": 1.0}


def test_filter_on_a_context_summary(store: Store) -> None:
    ids = _runs_with_val_acc(store)
    found = store.search_runs(["p"], filter="metrics.acc[subset=val] > 0.7")
    assert {r.id for r in found} == {ids["b"], ids["c"]}
    quoted = store.search_runs(["p"], filter="metrics.\"acc\"[subset='train'] >= 0.99")
    assert [r.id for r in quoted] == [ids["a"]]
    assert store.search_runs(["p"], filter="metrics.acc > 0") == []  # no context-free acc


def test_order_by_a_context_summary(store: Store) -> None:
    ids = _runs_with_val_acc(store)
    desc = store.search_runs(["p"], order_by=["metrics.acc[subset=val] DESC"])
    assert [r.id for r in desc] == [ids["b"], ids["c"], ids["a"]]
    asc = store.search_runs(["p"], order_by=["metrics.`acc[subset=train]` ASC"])
    assert [r.id for r in asc] == [ids["b"], ids["c"], ids["a"]]


def test_project_keys_list_context_summaries(store: Store) -> None:
    _runs_with_val_acc(store)
    assert store.project_keys("p").metrics == ["acc[subset=train]", "acc[subset=val]", "loss"]


def test_metric_definitions_apply_to_context_series(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [points("acc", [0.9, 0.4], {"subset": "val"})])
    store.set_metric_defs(run.id, [{"name": "acc", "summary": "max"}])
    assert store.get_run(run.id).summary == {"acc[subset=val]": 0.9}


def test_a_name_past_the_key_limit_gets_no_summary_and_loses_no_points(store: Store) -> None:
    run = store.create_run("p")
    context = {"note": "x" * 245}  # "acc[note=...]" is 255 characters
    store.append_metrics(run.id, [points("acc", [0.5], context), points("loss", [1.0])])
    assert store.get_run(run.id).summary == {"loss": 1.0}
    assert store.read_series(run.id, "acc", context)[1].tolist() == [0.5]


def test_the_migration_gives_runs_stored_before_their_context_summaries(
    store_uri: str, store: Store
) -> None:
    """A store at revision 0009 had no summary of a context series: upgrading adds them
    (under the run's define_metric modes) and leaves values set by hand alone."""
    run = store.create_run("p")
    store.set_metric_defs(run.id, [{"name": "loss", "summary": "min"}])
    store.append_metrics(
        run.id,
        [
            points("acc", [0.2, 0.9, 0.8], {"subset": "val"}),
            points("loss", [3.0, 1.0, 2.0], {"subset": "val"}),
            points("acc", [0.5], {"subset": "train"}),
            points("loss", [4.0]),
        ],
    )
    store.set_summary(run.id, {"acc[subset=train]": 0.75})
    t = schema.run_summary
    with writing(store.engine) as conn:  # as revision 0009 left the run
        conn.execute(t.delete().where(t.c.key.in_(["acc[subset=val]", "loss[subset=val]"])))
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
        # Migration 0010 alone (the later ones find their tables made already).
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        cfg.attributes["artifact_root"] = store.location.artifact_root
        command.upgrade(cfg, "0010")
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": HEAD_REVISION})
    store.close()

    upgraded = Store(store_uri)
    try:
        summary = upgraded.get_run(run.id).summary
        assert summary == {
            "acc[subset=val]": 0.8,
            "loss[subset=val]": 1.0,
            "acc[subset=train]": 0.75,
            "loss": 4.0,
        }
        found = upgraded.search_runs(["p"], filter="metrics.loss[subset=val] = 1")
        assert [r.id for r in found] == [run.id]
    finally:
        upgraded.close()
