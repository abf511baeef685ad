"""Stored JSON values (config, summary, run metadata, metric definitions) nest at most
``MAX_JSON_DEPTH`` deep and hold strings of at most ``MAX_JSON_STRING`` characters; notes are
bounded too. Values stored deeper before the limit existed still read, with a marker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import update

from tracklog.errors import InvalidValueError
from tracklog.store import schema, stored_json
from tracklog.store.stored_json import DEEP_MARKER, MAX_LISTED_TEXT
from tracklog.store.tracking import Store
from tracklog.store.validation import MAX_ERROR, MAX_JSON_DEPTH, MAX_JSON_STRING, MAX_NOTES


def nested(depth: int, leaf: Any = 1) -> Any:
    """A value of ``depth`` lists and dicts, alternating, around ``leaf``."""
    value = leaf
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


def depth_of(value: Any) -> int:
    depth = 0
    while isinstance(value, dict | list):
        value = value["k"] if isinstance(value, dict) else value[0]
        depth += 1
    return depth


def writers(store: Store, run_id: str) -> dict[str, Any]:
    """Every store call that stores a JSON value under key ``x``, by what it writes."""
    return {
        "config": lambda v: store.set_config(run_id, {"x": v}),
        "new run's config": lambda v: store.create_run("p", config={"x": v}),
        "summary": lambda v: store.set_summary(run_id, {"x": v}),
        "metadata": lambda v: store.update_run(run_id, metadata={"x": v}),
    }


def test_every_stored_json_value_is_refused_past_the_depth_limit(store: Store) -> None:
    run = store.create_run("p")
    for what, write in writers(store, run.id).items():
        # The config and metadata documents are one level themselves; a summary value is
        # stored under its key. (Metric definitions hold names and modes, no free JSON:
        # validation.metric_def.)
        inner = MAX_JSON_DEPTH - (1 if what in ("config", "new run's config", "metadata") else 0)
        with pytest.raises(InvalidValueError) as info:
            write(nested(inner + 1))
        assert "x" in str(info.value), what
        assert f"more than {MAX_JSON_DEPTH}" in str(info.value), what
        write(nested(inner))  # at the limit: stored
    got = store.get_run(run.id)
    assert depth_of(got.config["x"]) == MAX_JSON_DEPTH - 1
    assert depth_of(got.summary["x"]) == MAX_JSON_DEPTH
    assert depth_of(got.metadata["x"]) == MAX_JSON_DEPTH - 1


def test_strings_in_stored_values_and_notes_are_bounded(store: Store) -> None:
    run = store.create_run("p")
    for write in writers(store, run.id).values():
        with pytest.raises(InvalidValueError, match=str(MAX_JSON_STRING)):
            write(["a" * (MAX_JSON_STRING + 1)])
        with pytest.raises(InvalidValueError, match=str(MAX_JSON_STRING)):
            write({"k" * (MAX_JSON_STRING + 1): 1})
        write("a" * MAX_JSON_STRING)
    assert store.get_run(run.id).summary["x"] == "a" * MAX_JSON_STRING
    with pytest.raises(InvalidValueError, match=f"notes .*the limit is {MAX_NOTES}"):
        store.update_run(run.id, notes="n" * (MAX_NOTES + 1))
    with pytest.raises(InvalidValueError, match=f"notes .*the limit is {MAX_NOTES}"):
        store.create_run("p", notes="n" * (MAX_NOTES + 1))
    store.update_run(run.id, notes="n" * MAX_NOTES)
    assert store.get_run(run.id).notes == "n" * MAX_NOTES
    # An error text is never refused (it comes with the run's end): its end is kept.
    error = "x" * MAX_ERROR + "the last frame"
    store.finish_run(run.id, "FAILED", error=error)
    kept = store.get_run(run.id).error
    assert kept is not None and len(kept) <= MAX_ERROR and kept.endswith("the last frame")
    assert kept.startswith("[the first ") and store.get_run(run.id).status == "FAILED"


@pytest.mark.parametrize("depth", [500, 3000])
def test_values_stored_deep_before_the_limit_read_with_a_marker(store: Store, depth: int) -> None:
    run = store.create_run("deep", config={"lr": 0.1})
    store.set_summary(run.id, {"x": 1, "acc": 0.5})
    store.set_config(run.id, {"lr": 0.2})  # a config change, so the history has a row
    deep = '[{"k": ' * (depth // 2) + "1" + "}]" * (depth // 2)  # json.dumps would overflow
    with store.engine.begin() as conn:  # as a server before the limit could have stored it
        conn.execute(
            update(schema.runs)
            .where(schema.runs.c.id == run.id)
            .values(config=f'{{"lr": 0.2, "x": {deep}}}', run_metadata=f'{{"m": {deep}}}')
        )
        conn.execute(
            update(schema.run_summary)
            .where(schema.run_summary.c.key == "x")
            .values(value_json=deep)
        )
        conn.execute(update(schema.config_changes).values(new_value=deep))
    got = store.get_run(run.id)
    for value in (got.config["x"], got.metadata["m"]):
        assert depth_of(value) == MAX_JSON_DEPTH - 1  # the document itself is one level
    assert depth_of(got.summary["x"]) == MAX_JSON_DEPTH
    assert got.summary["acc"] == 0.5 and got.config["lr"] == 0.2
    inner = got.summary["x"]
    for _ in range(MAX_JSON_DEPTH):
        inner = inner["k"] if isinstance(inner, dict) else inner[0]
    assert inner == DEEP_MARKER
    assert [r.id for r in store.search_runs(["deep"], "metrics.acc > 0.1")] == [run.id]
    assert [r.id for r in store.search_runs(None)] == [run.id]
    assert depth_of(store.config_history(run.id)[0]["new"]) == MAX_JSON_DEPTH
    # Setting another key keeps the readable part of the stored config.
    store.set_config(run.id, {"y": 1})
    assert store.get_run(run.id).config["lr"] == 0.2


def test_decoding_counts_only_brackets_outside_strings() -> None:
    text = json.dumps({"s": "[" * 100 + "{" * 100 + '"\\"[', "v": nested(MAX_JSON_DEPTH - 1)})
    assert stored_json.loads(text) == json.loads(text)
    deep = json.dumps({"s": "]]]}", "v": nested(MAX_JSON_DEPTH + 5, "[leaf]"), "after": [1]})
    value = stored_json.loads(deep)
    assert value["s"] == "]]]}" and value["after"] == [1]
    assert depth_of(value["v"]) == MAX_JSON_DEPTH - 1


def test_abridged_text_cuts_long_text_with_a_marker() -> None:
    long = "a" * (MAX_LISTED_TEXT + 5)
    cut = stored_json.abridged_text(long)
    assert cut == "a" * MAX_LISTED_TEXT + f"… [cut: {MAX_LISTED_TEXT + 5} characters in all]"
    fits = "a" * MAX_LISTED_TEXT
    assert stored_json.abridged_text(fits) is fits


def test_a_lone_surrogate_in_a_stored_value_is_refused_naming_the_key(store: Store) -> None:
    run = store.create_run("p", config={"lr": 0.1})
    for write in writers(store, run.id).values():
        with pytest.raises(InvalidValueError, match="surrogate"):
            write({"k": "a\ud800b"})
        with pytest.raises(InvalidValueError, match="surrogate"):
            write({"\udfff": 1})
    with pytest.raises(InvalidValueError, match="notes contains"):
        store.update_run(run.id, notes="x\ud800")
    assert store.get_run(run.id).config == {"lr": 0.1}
