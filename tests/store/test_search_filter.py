"""MLflow-style search filters: parsing, error positions, and the SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert
from sqlalchemy.dialects import postgresql, sqlite

from tracklog.errors import FilterSyntaxError, InvalidValueError
from tracklog.store import schema
from tracklog.store.engine import open_engine
from tracklog.store.location import resolve
from tracklog.store.search import (
    Comparison,
    OrderTerm,
    parse_filter,
    parse_order_by,
    runs_query,
)
from tracklog.store.search_parse import ATTRIBUTES, ENTITIES

# --- parser ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", None, "   "])
def test_empty_filter_is_no_comparisons(text: str | None) -> None:
    assert parse_filter(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.acc > 0.9", Comparison("metric", "acc", ">", 0.9)),
        ("metric.acc>=-1.5e-3", Comparison("metric", "acc", ">=", -0.0015)),
        ("metrics.`val acc` < 1", Comparison("metric", "val acc", "<", 1)),
        ('metrics."val acc" != 2', Comparison("metric", "val acc", "!=", 2)),
        ("metrics.train/loss <= .5", Comparison("metric", "train/loss", "<=", 0.5)),
        ("metrics.a-b:c = 1E3", Comparison("metric", "a-b:c", "=", 1000.0)),
        ("params.optimizer.lr < 1e-4", Comparison("param", "optimizer.lr", "<", 1e-4)),
        ("param.model = 'bert'", Comparison("param", "model", "=", "bert")),
        ('params.model = "bert"', Comparison("param", "model", "=", "bert")),
        ("params.m like 'b%'", Comparison("param", "m", "LIKE", "b%")),
        ("params.m ILike 'B%'", Comparison("param", "m", "ILIKE", "B%")),
        ("params.b IN (32, 64)", Comparison("param", "b", "IN", (32, 64))),
        ("tags.env not in ('a','b')", Comparison("tag", "env", "NOT IN", ("a", "b"))),
        ("tag.note = 'it''s'", Comparison("tag", "note", "=", "it's")),
        (r"tag.note = 'it\'s'", Comparison("tag", "note", "=", "it's")),
        (r"tags.p LIKE 'a\_b\\c'", Comparison("tag", "p", "LIKE", r"a\_b\c")),
        ("attributes.status = 'FINISHED'", Comparison("attribute", "status", "=", "FINISHED")),
        ("attr.run_name = 'x'", Comparison("attribute", "name", "=", "x")),
        ("run.id IN ('a')", Comparison("attribute", "id", "IN", ("a",))),
        ("attribute.group = 'g'", Comparison("attribute", "group_name", "=", "g")),
        ("attributes.experiment_id = '3'", Comparison("attribute", "experiment_id", "=", 3)),
        (
            "attributes.start_time >= 1700000000000",
            Comparison("attribute", "start_time", ">=", 1700000000000),
        ),
    ],
)
def test_parse_one_comparison(text: str, expected: Comparison) -> None:
    assert parse_filter(text) == [expected]


def test_parse_conjunction_with_mixed_case_and() -> None:
    got = parse_filter("metrics.a > 1 AND params.b = 'x' and tags.c != 'y'")
    assert [c.kind for c in got] == ["metric", "param", "tag"]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("metrics.acc >> 1", "unexpected '>'", 13),
        ("metrics.acc > ", "expected a value after '>'", 14),
        (
            "foo.bar = 1",
            "unknown entity type 'foo' (use metrics., params., tags. or attributes.)",
            0,
        ),
        ("params.m = 'bert", "unterminated string", 11),
        ("params.m = 'a' AND tags.t = \"b", "unterminated string", 28),
        ("metrics.`val acc > 1", "unterminated quoted key", 8),
        ("metrics.a > 1 OR metrics.b < 2", "OR is not supported; combine comparisons with AND", 14),
        ("metrics.a > 1 AND", "expected a comparison after AND", 17),
        ("AND metrics.a > 1", "expected a comparison such as metrics.acc > 0.9, found 'AND'", 0),
        ("metrics.a > 1 metrics.b < 2", "unexpected 'metrics.b': expected AND", 14),
        ("acc > 1", "unknown identifier 'acc'", 0),
        ("metrics. > 1", "expected a key after 'metrics.'", 8),
        ("attributes.colour = 'red'", "unknown attribute 'colour' (valid: status, run_name", 11),
        ("metrics.a 1", "expected an operator", 10),
        ("metrics.a == 1", "unexpected '='", 11),
        ("metrics.a ! 1", "unexpected character '!'", 10),
        ("params.a NOT LIKE 'x'", "expected IN after NOT", 13),
        ("params.a IN 'x'", "expected a list such as ('a', 'b') after IN", 12),
        ("params.a IN ()", "the list is empty", 13),
        ("params.a IN ('x',)", "expected a value", 17),
        ("params.a IN ('x' 'y')", "expected ',' or ')'", 17),
        ("params.a IN ('x', 'y'", "unclosed '('", 12),
        ("params.a IN ('x', 1)", "a list cannot mix numbers and strings", 18),
        ("params.a = ('x')", "a list needs IN or NOT IN, not '='", 11),
        ("metrics.a = 'x'", "metrics compare with numbers", 12),
        ("metrics.a LIKE 'x%'", "LIKE is not supported for metrics.a", 10),
        ("metrics.a IN (1, 2)", "IN is not supported for metrics.a", 10),
        ("params.a < 'x'", "< compares numbers", 11),
        ("params.a LIKE 1", "LIKE needs a quoted pattern", 14),
        ("tags.t = 1", "expected a quoted string", 9),
        ("tags.t > 'a'", "> is not supported for tags.t", 7),
        ("attributes.status < 'a'", "< is not supported for attributes.status", 18),
        ("attributes.start_time = 'soon'", "expected a number", 24),
        ("attributes.end_time LIKE '1%'", "LIKE is not supported for attributes.end_time", 20),
        (r"params.p LIKE 'a\\'", "lone escape character", 14),
        ("metrics.a > 1 `", "unexpected '`'", 14),
    ],
)
def test_parse_errors_name_the_token_and_position(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert message in str(info.value)
    assert info.value.position == position
    assert info.value.text == text
    assert isinstance(info.value, InvalidValueError)


def test_parse_order_by() -> None:
    assert parse_order_by(
        ["metrics.acc DESC", "params.lr", "attributes.start_time desc", "metrics.`val acc` ASC"]
    ) == [
        OrderTerm("metric", "acc", ascending=False),
        OrderTerm("param", "lr", ascending=True),
        OrderTerm("attribute", "start_time", ascending=False),
        OrderTerm("metric", "val acc", ascending=True),
    ]
    assert parse_order_by("tags.env") == [OrderTerm("tag", "env")]  # one clause, not characters
    assert parse_order_by(None) == parse_order_by([]) == []


@pytest.mark.parametrize(
    ("clause", "message", "position"),
    [
        ("metrics.acc DOWN", "unexpected 'DOWN': expected ASC, DESC or the end", 12),
        ("metrics.acc DESC ASC", "unexpected 'ASC'", 17),
        ("", "expected a column such as metrics.acc", 0),
        ("attributes.bogus", "unknown attribute 'bogus'", 11),
        ("acc DESC", "unknown identifier 'acc'", 0),
    ],
)
def test_order_by_errors(clause: str, message: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_order_by([clause])
    assert message in str(info.value)
    assert info.value.position == position


def test_bad_lifecycle_is_rejected() -> None:
    with pytest.raises(InvalidValueError, match="lifecycle"):
        runs_query(lifecycle="archived")


# --- property: random valid conjunctions parse back exactly and compile -------------------------

_KEY_CHARS = st.sampled_from(list("abcXYZ019_-./: `'\"\\é"))
_TEXT = st.text(alphabet=st.sampled_from(list("abZ9 %_'\"\\`*?[")), max_size=8)
_NUMBER = st.one_of(
    st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False)
)
_PREFIXES = {kind: [p for p, k in ENTITIES.items() if k == kind] for kind in set(ENTITIES.values())}


def _quote(value: str, quote: str, backslash: bool) -> str:
    body = value.replace("\\", "\\\\")
    escaped = "\\" + quote if backslash else quote * 2
    return quote + body.replace(quote, escaped) + quote


def _render_key(draw: st.DrawFn, key: str) -> str:
    if key and all(c.isalnum() or c in "_-./:" for c in key) and draw(st.booleans()):
        return key
    return _quote(key, draw(st.sampled_from('`"')), draw(st.booleans()))


def _render_value(draw: st.DrawFn, value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_render_value(draw, v) for v in value) + ")"
    if isinstance(value, str):
        return _quote(value, draw(st.sampled_from("'\"")), draw(st.booleans()))
    return repr(value)


@st.composite
def _comparison(draw: st.DrawFn) -> tuple[str, Comparison]:
    kind = draw(st.sampled_from(["metric", "param", "tag", "attribute"]))
    if kind == "attribute":
        name = draw(st.sampled_from(sorted(ATTRIBUTES)))
        key, numeric = ATTRIBUTES[name]
        rendered_key = name
    else:
        key = draw(st.text(_KEY_CHARS, min_size=1, max_size=10))
        rendered_key = _render_key(draw, key)
        numeric = kind == "metric" or (kind == "param" and draw(st.booleans()))
    if numeric:
        scalar = st.integers(0, 10**13) if kind == "attribute" else _NUMBER
        ops = ["=", "!=", "<", "<=", ">", ">="]
        if kind != "metric":
            ops += ["IN", "NOT IN"]
    else:
        scalar = _TEXT
        ops = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]
    op = draw(st.sampled_from(ops))
    if op in ("IN", "NOT IN"):
        value: Any = tuple(draw(st.lists(scalar, min_size=1, max_size=3)))
    else:
        value = draw(scalar)
    if op in ("LIKE", "ILIKE"):
        assume((len(value) - len(value.rstrip("\\"))) % 2 == 0)  # no lone trailing escape
    prefix = draw(st.sampled_from(_PREFIXES[kind]))
    shown_op = op if op[0] in "=!<>" else draw(st.sampled_from([op, op.lower(), op.title()]))
    text = f"{prefix}.{rendered_key} {shown_op} {_render_value(draw, value)}"
    return text, Comparison(kind, key, op, value)


@given(st.lists(_comparison(), min_size=1, max_size=5), st.sampled_from([" AND ", " and  "]))
def test_random_conjunctions_parse_back_and_compile(
    parts: list[tuple[str, Comparison]], joiner: str
) -> None:
    text = joiner.join(t for t, _ in parts)
    assert parse_filter(text) == [c for _, c in parts]
    query = runs_query(text, ["metrics.acc DESC", "params.`a b`", "attributes.end_time"])
    subqueries = sum(c.kind != "attribute" for _, c in parts)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        sql = str(query.compile(dialect=dialect))
        assert sql.count("SELECT") == 1 + subqueries


# --- SQL on SQLite and PostgreSQL ---------------------------------------------------------------

_RUN_COLUMNS = [
    "id", "experiment_id", "name", "status", "start_time", "end_time", "user", "group_name",
    "job_type", "lifecycle_stage",
]  # fmt: skip
_RUNS = [
    ("r1", 1, "bert-base", "FINISHED", 1000, 2000, "alice", "g1", "train", "active"),
    ("r2", 1, "Bert-large", "RUNNING", 2000, None, "bob", None, None, "active"),
    ("r3", 2, "gpt-small", "FAILED", 3000, 3500, None, None, None, "active"),
    ("r4", 1, "old", "FINISHED", 1500, 1600, "alice", None, None, "deleted"),
    ("r5", 2, "x_y%z[*]", "FINISHED", 3000, 4000, "carol", None, None, "active"),
]
_PARAMS = {  # run -> {key: (text, number)}
    "r1": {"model": ("bert", None), "lr": ("0.001", 1e-3), "optimizer.lr": ("0.01", 0.01),
           "batch": ("32", 32.0), "size": ("small", None)},
    "r2": {"model": ("Bert", None), "lr": ("0.0001", 1e-4), "batch": ("64", 64.0),
           "size": ("large", None)},
    "r3": {"model": ("gpt", None), "lr": ("high", None), "size": ("medium", None)},
    "r4": {"model": ("bert", None), "lr": ("0.001", 1e-3)},
    "r5": {"model": ("b_rt", None), "lr": ("0.5", 0.5)},
}  # fmt: skip
_TAGS = {
    "r1": {"env": "prod", "team": "NLP", "city": "zurich"},
    "r2": {"env": "dev", "city": "Zürich"},
    "r3": {"env": "prod", "city": "ZÜRICH"},
    "r5": {"env": "PROD", "note": "Модели"},
}
_SUMMARY = {
    "r1": {"acc": 0.9, "train/loss": 0.3, "val acc": 0.85},
    "r2": {"acc": 0.95, "val acc": 0.8},
    "r3": {"train/loss": 0.5},
    "r4": {"acc": 0.99},
    "r5": {"acc": 0.9},
}


@pytest.fixture
def engine(store_uri: str) -> Iterator[Engine]:
    """A database holding the five runs above (r4 deleted), opened as a store opens it."""
    eng = open_engine(resolve(store_uri))
    schema.metadata.create_all(eng)
    with eng.begin() as conn:
        experiment = {"artifact_location": "", "created_at": 0, "updated_at": 0}
        conn.execute(
            insert(schema.experiments), [{"id": i, "name": f"e{i}", **experiment} for i in (1, 2)]
        )
        conn.execute(
            insert(schema.runs),
            [{**dict(zip(_RUN_COLUMNS, row, strict=True)), "artifact_uri": ""} for row in _RUNS],
        )
        conn.execute(
            insert(schema.params),
            [
                {"run_id": r, "key": k, "value": text, "value_num": num}
                for r, ps in _PARAMS.items()
                for k, (text, num) in ps.items()
            ],
        )
        conn.execute(
            insert(schema.run_tags),
            [{"run_id": r, "key": k, "value": v} for r, ts in _TAGS.items() for k, v in ts.items()],
        )
        conn.execute(
            insert(schema.run_summary),
            [
                {"run_id": r, "key": k, "value_num": v, "value_json": repr(v)}
                for r, ms in _SUMMARY.items()
                for k, v in ms.items()
            ],
        )
    yield eng
    eng.dispose()


def _ids(engine: Engine, filter: str | None = None, **kwargs: Any) -> list[str]:
    with engine.connect() as conn:
        return [row.id for row in conn.execute(runs_query(filter, **kwargs))]


def _check(engine: Engine, cases: list[tuple[str, list[str]]]) -> None:
    # One database for many cases: a fresh PostgreSQL database per case would be slow.
    got = {text: _ids(engine, text) for text, _ in cases}
    assert got == dict(cases)


def test_default_order_is_newest_first_then_id(engine: Engine) -> None:
    assert _ids(engine) == ["r3", "r5", "r2", "r1"]
    assert _ids(engine, "") == ["r3", "r5", "r2", "r1"]


def test_metric_filters(engine: Engine) -> None:
    _check(
        engine,
        [
            ("metrics.acc > 0.9", ["r2"]),
            ("metrics.acc >= 0.9", ["r5", "r2", "r1"]),
            ("metrics.acc = 0.9", ["r5", "r1"]),
            ("metrics.acc != 0.9", ["r2"]),  # r3 has no acc: MLflow's != needs the key
            ("metrics.acc < 0.95", ["r5", "r1"]),
            ("metrics.acc <= 0.95", ["r5", "r2", "r1"]),
            ("metrics.`val acc` < 0.85", ["r2"]),
            ('metric."val acc" = 0.85', ["r1"]),
            ("metrics.train/loss > 0.4", ["r3"]),
            ("metrics.missing > 0", []),
            # Whole numbers past int64 (JavaScript writes 3e20 so) compare as floats.
            ("metrics.acc < 300000000000000000000", ["r5", "r2", "r1"]),
            ("metrics.acc > -300000000000000000000", ["r5", "r2", "r1"]),
            ("attributes.start_time < 99999999999999999999", ["r3", "r5", "r2", "r1"]),
        ],
    )


def test_param_filters_numeric_and_text(engine: Engine) -> None:
    _check(
        engine,
        [
            ("params.lr < 1e-3", ["r2"]),  # 'high' has no number and never matches
            ("params.lr <= 0.001", ["r2", "r1"]),
            ("params.lr = 'high'", ["r3"]),
            ("params.batch = 32", ["r1"]),
            ("params.batch = '32'", ["r1"]),
            ("params.batch != 32", ["r2"]),
            ("params.batch IN (32, 64)", ["r2", "r1"]),
            ("params.batch NOT IN (32)", ["r2"]),
            ("params.optimizer.lr = 0.01", ["r1"]),
            ("params.model = 'bert'", ["r1"]),
            ("params.model != 'bert'", ["r3", "r5", "r2"]),
            ("params.model IN ('bert', 'gpt')", ["r3", "r1"]),
            ("params.model NOT IN ('bert')", ["r3", "r5", "r2"]),
            ("params.model LIKE 'b%'", ["r5", "r1"]),  # case-sensitive on SQLite too
            ("params.model ILIKE 'b%'", ["r5", "r2", "r1"]),
            ("params.model LIKE 'b_rt'", ["r5", "r1"]),
            (r"params.model LIKE 'b\_rt'", ["r5"]),  # escaped wildcard
            ("params.model ILIKE 'B\\_RT'", ["r5"]),
        ],
    )


def test_tag_filters(engine: Engine) -> None:
    _check(
        engine,
        [
            ("tags.env = 'prod'", ["r3", "r1"]),
            ("tags.env != 'prod'", ["r5", "r2"]),
            ("tags.env ILIKE 'prod'", ["r3", "r5", "r1"]),
            ("tags.env LIKE 'p%'", ["r3", "r1"]),
            ("tags.team LIKE '%L%'", ["r1"]),
            ("tags.env IN ('dev', 'PROD')", ["r5", "r2"]),
            ("tags.env NOT IN ('prod')", ["r5", "r2"]),
            # ILIKE ignores the case of any letter, as PostgreSQL's does (SQLite's only ASCII).
            ("tags.city ILIKE 'zü%'", ["r3", "r2"]),
            ("tags.city ILIKE '%RICH'", ["r3", "r2", "r1"]),
            ("tags.city LIKE 'Zü%'", ["r2"]),
            ("tags.note ILIKE 'моДЕЛИ'", ["r5"]),
            ("tags.note ILIKE '_одели'", ["r5"]),
        ],
    )


def test_attribute_filters(engine: Engine) -> None:
    _check(
        engine,
        [
            ("attributes.status = 'FINISHED'", ["r5", "r1"]),
            ("attributes.status IN ('RUNNING', 'FAILED')", ["r3", "r2"]),
            ("attributes.run_name LIKE 'bert%'", ["r1"]),
            ("attr.name ILIKE 'bert%'", ["r2", "r1"]),
            (r"attributes.name LIKE 'x\_y\%z[*]'", ["r5"]),  # GLOB's * and [ stay literal
            ("run.id IN ('r1', 'r3')", ["r3", "r1"]),
            ("attributes.run_id = 'r2'", ["r2"]),
            ("attributes.user = 'alice'", ["r1"]),
            ("attributes.group = 'g1'", ["r1"]),
            ("attributes.job_type = 'train'", ["r1"]),
            ("attributes.start_time >= 2000", ["r3", "r5", "r2"]),
            ("attributes.start_time > 1999.5", ["r3", "r5", "r2"]),
            ("attributes.end_time < 3600", ["r3", "r1"]),
            ("attributes.duration >= 1000", ["r5", "r1"]),  # r2 runs: no duration yet
            ("attributes.duration < 1000", ["r3"]),
            ("attributes.experiment_id = 2", ["r3", "r5"]),
            ("attributes.experiment_id IN ('1')", ["r2", "r1"]),
            ("metrics.acc >= 0.9 AND params.model = 'bert' and tags.env = 'prod'", ["r1"]),
            ("metrics.acc >= 0.9 AND attributes.experiment_id = 2", ["r5"]),
        ],
    )


def test_lifecycle_and_experiments(engine: Engine) -> None:
    assert _ids(engine, lifecycle="deleted") == ["r4"]
    assert _ids(engine, lifecycle="all") == ["r3", "r5", "r2", "r4", "r1"]
    assert _ids(engine, "metrics.acc > 0.96", lifecycle="all") == ["r4"]
    assert _ids(engine, experiment_ids=[2]) == ["r3", "r5"]
    assert _ids(engine, experiment_ids=[]) == []


def test_order_by_puts_missing_keys_last(engine: Engine) -> None:
    cases = [
        (["metrics.acc DESC"], ["r2", "r5", "r1", "r3"]),
        (["metrics.acc"], ["r5", "r1", "r2", "r3"]),
        (["metrics.`val acc` ASC"], ["r2", "r1", "r3", "r5"]),
        (["params.lr ASC"], ["r2", "r1", "r5", "r3"]),  # numbers first, then text ('high')
        (["params.lr DESC"], ["r5", "r1", "r2", "r3"]),
        (["params.size"], ["r2", "r3", "r1", "r5"]),
        (["params.size DESC"], ["r1", "r3", "r2", "r5"]),
        (["attributes.end_time DESC"], ["r5", "r3", "r1", "r2"]),
        (["attributes.end_time"], ["r1", "r3", "r5", "r2"]),
        (["attributes.duration"], ["r3", "r5", "r1", "r2"]),  # r5, r1 tie: newer first
        (["attributes.duration DESC"], ["r5", "r1", "r3", "r2"]),
        (["tags.team DESC"], ["r1", "r3", "r5", "r2"]),
        (["metrics.acc DESC", "attributes.start_time ASC"], ["r2", "r1", "r5", "r3"]),
        (["attributes.run_id DESC"], ["r5", "r3", "r2", "r1"]),
    ]
    got = {tuple(order): _ids(engine, order_by=order) for order, _ in cases}
    assert got == {tuple(order): ids for order, ids in cases}
    assert _ids(engine, "params.lr > 0", order_by=["metrics.acc DESC"]) == ["r2", "r5", "r1"]
