"""Metric series in compressed chunks: exact values, ordering, statistics and summaries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tracklog.errors import InvalidValueError, NotFoundError, RunDeletedError
from tracklog.store import series
from tracklog.store.codec import CHUNK_POINTS, decode, encode, raw_sections
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import CHECKPOINT_POINTS, Store


def points(key: str, steps: list[int], values: list[float], context: str = "") -> SeriesPoints:
    n = len(steps)
    return SeriesPoints(
        key,
        context,
        np.asarray(steps, np.int64),
        np.asarray(values, np.float64),
        np.arange(1_000, 1_000 + n, dtype=np.int64),
    )


def test_nan_and_infinities_round_trip(store: Store) -> None:
    run = store.create_run("p")
    values = [1.5, float("nan"), float("inf"), -float("inf"), -0.0, 5e-324]
    store.append_metrics(run.id, [points("loss", list(range(6)), values)])
    steps, got, times = store.read_series(run.id, "loss")
    assert steps.tolist() == list(range(6))
    assert np.array_equal(got, np.array(values), equal_nan=True)
    assert np.signbit(got[4])
    assert times.tolist() == list(range(1_000, 1_006))


def test_out_of_order_and_repeated_steps_kept_in_step_then_arrival_order(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [points("x", [5, 3, 5], [50.0, 30.0, 51.0])])
    store.append_metrics(run.id, [points("x", [1, 5], [10.0, 52.0])])
    steps, values, _ = store.read_series(run.id, "x")
    assert steps.tolist() == [1, 3, 5, 5, 5]
    assert values.tolist() == [10.0, 30.0, 50.0, 51.0, 52.0]


def test_many_small_appends_fill_chunks(store: Store) -> None:
    run = store.create_run("p")
    total = CHUNK_POINTS + 512
    for lo in range(0, total, 256):
        store.append_metrics(run.id, [points("y", list(range(lo, lo + 256)), [float(lo)] * 256)])
    steps, values, _ = store.read_series(run.id, "y")
    assert steps.tolist() == list(range(total))
    assert values[-1] == float(total - 256)
    with store.engine.connect() as conn:
        sizes = conn.exec_driver_sql("SELECT n FROM metric_chunks ORDER BY seq").scalars().all()
    assert sizes == [CHUNK_POINTS, 512]


def test_contexts_are_separate_series(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(
        run.id,
        [points("acc", [0], [0.1], '{"subset":"train"}'), points("acc", [0], [0.2], "")],
    )
    assert store.read_series(run.id, "acc", {"subset": "train"})[1].tolist() == [0.1]
    assert store.read_series(run.id, "acc")[1].tolist() == [0.2]
    with pytest.raises(NotFoundError, match="val"):
        store.read_series(run.id, "acc", {"subset": "val"})


def test_statistics_and_summary_modes(store: Store) -> None:
    run = store.create_run("p")
    store.set_metric_defs(run.id, [{"name": "val/*", "summary": "max"}])
    store.append_metrics(
        run.id,
        [points("loss", [0, 1, 2], [3.0, 1.0, 2.0]), points("val/acc", [0, 1], [0.7, 0.6])],
    )
    stats = {s.key: s for s in store.series_stats(run.id)}
    loss = stats["loss"]
    assert (loss.count, loss.min, loss.max, loss.first, loss.last) == (3, 1.0, 3.0, 3.0, 2.0)
    assert loss.last_step == 2
    assert store.get_run(run.id).summary == {"loss": 2.0, "val/acc": 0.7}


def test_explicit_summary_wins_over_metrics(store: Store) -> None:
    run = store.create_run("p")
    store.set_summary(run.id, {"loss": 0.01, "note": "best"})
    store.append_metrics(run.id, [points("loss", [0], [9.0])])
    assert store.get_run(run.id).summary == {"loss": 0.01, "note": "best"}


def test_nan_last_value_is_kept_in_summary(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [points("loss", [0, 1], [1.0, float("nan")])])
    summary = store.get_run(run.id).summary
    assert np.isnan(summary["loss"])


def test_batch_applied_once(store: Store) -> None:
    run = store.create_run("p")
    assert store.append_metrics(run.id, [points("z", [0], [1.0])], batch_id="b1")
    assert not store.append_metrics(run.id, [points("z", [0], [1.0])], batch_id="b1")
    assert store.read_series(run.id, "z")[1].tolist() == [1.0]


def test_metrics_for_unknown_run_rejected(store: Store) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        store.append_metrics("ghost", [points("z", [0], [1.0])])


def test_one_series_twice_in_a_batch_is_joined_in_order(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [points("x", [0, 1], [1.0, 2.0]), points("x", [1], [3.0])])
    steps, values, _ = store.read_series(run.id, "x")
    assert steps.tolist() == [0, 1, 1] and values.tolist() == [1.0, 2.0, 3.0]
    assert store.get_run(run.id).summary == {"x": 3.0}


def test_cached_reads_see_every_append_and_cannot_be_changed(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [points("c", [0, 1], [1.0, 2.0])])
    first = store.read_series(run.id, "c")
    assert store.read_series(run.id, "c")[1] is first[1]  # the second read is served from memory
    store.append_metrics(run.id, [points("c", [2], [3.0])])
    assert store.read_series(run.id, "c")[1].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="read-only"):
        first[1][0] = 99.0


def test_finish_folds_the_wal_back_after_much_writing(tmp_path: Path) -> None:
    """A small run leaves the WAL to SQLite's own checkpoints; after CHECKPOINT_POINTS points
    the finishing run folds it back into the database file and truncates it."""
    store = Store(f"sqlite:///{tmp_path / 't.db'}")
    wal = tmp_path / "t.db-wal"
    small = store.create_run("p")
    store.append_metrics(small.id, [points("x", list(range(100)), [0.5] * 100)])
    store.finish_run(small.id, "FINISHED")
    assert wal.stat().st_size > 0
    big = store.create_run("p")
    n = CHECKPOINT_POINTS
    steps = np.arange(n, dtype=np.int64)
    batch = [SeriesPoints("y", "", steps, np.random.default_rng(0).random(n), steps)]
    store.append_metrics(big.id, batch)
    store.finish_run(big.id, "FINISHED")
    assert wal.stat().st_size == 0
    assert len(store.read_series(big.id, "y")[0]) == n
    store.close()


def test_append_and_finish_stores_the_last_points_and_the_end_together(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [points("x", [0], [1.0])])
    batch = [points("x", [1], [2.0]), points("new", [1], [5.0])]
    assert store.append_and_finish(run.id, batch, "last", "FAILED", exit_code=3, error="boom")
    got = store.get_run(run.id)
    assert (got.status, got.exit_code, got.error) == ("FAILED", 3, "boom")
    assert got.end_time is not None and got.summary == {"x": 2.0, "new": 5.0}
    assert store.read_series(run.id, "x")[1].tolist() == [1.0, 2.0]
    # Replayed (say from a rescue journal): the points are not added twice, the end stands.
    assert not store.append_and_finish(run.id, batch, "last", "FINISHED")
    assert store.read_series(run.id, "x")[1].tolist() == [1.0, 2.0]
    assert store.get_run(run.id).status == "FINISHED"


def test_append_and_finish_changes_nothing_when_it_fails(store: Store) -> None:
    run = store.create_run("p")
    store.delete_run(run.id)
    with pytest.raises(RunDeletedError):
        store.append_and_finish(run.id, [points("x", [0], [1.0])], "b", "FINISHED")
    with pytest.raises(InvalidValueError, match="RUNNING"):
        store.append_and_finish(run.id, [points("x", [0], [1.0])], "b", "RUNNING")
    store.restore_run(run.id)
    got = store.get_run(run.id)
    assert got.status == "RUNNING" and got.end_time is None and got.summary == {}
    with pytest.raises(NotFoundError, match="ghost"):
        store.append_and_finish("ghost", [points("x", [0], [1.0])], "b", "FINISHED")


def test_new_and_existing_series_in_one_batch(store: Store) -> None:
    """New series are inserted with their statistics, existing ones merged (tail chunk too)."""
    run = store.create_run("p")
    store.append_metrics(run.id, [points("old", [0, 1], [4.0, 2.0])])
    store.append_metrics(run.id, [points("new", [0, 1], [1.0, 3.0]), points("old", [2], [9.0])])
    stats = {s.key: s for s in store.series_stats(run.id)}
    assert (stats["new"].count, stats["new"].min, stats["new"].max) == (2, 1.0, 3.0)
    assert (stats["new"].first, stats["new"].last, stats["new"].max_step) == (1.0, 3.0, 1)
    assert (stats["old"].count, stats["old"].min, stats["old"].max) == (3, 2.0, 9.0)
    assert (stats["old"].first, stats["old"].last, stats["old"].sum) == (4.0, 9.0, 15.0)
    assert store.read_series(run.id, "old")[1].tolist() == [4.0, 2.0, 9.0]
    assert store.get_run(run.id).summary == {"new": 3.0, "old": 9.0}


_NOISE = np.random.default_rng(0).standard_normal(2 * CHUNK_POINTS)


def noisy(key: str, lo: int, hi: int) -> SeriesPoints:
    """Points lo..hi-1 of a series with random values (their low mantissa bytes do not
    compress) and a clock that ticks every 7 steps."""
    steps = np.arange(lo, hi, dtype=np.int64)
    values = _NOISE[lo:hi]
    return SeriesPoints(key, "", steps, values, 1_700_000_000_000 + steps // 7)


def chunk_blobs(store: Store, run_id: str) -> list[bytes]:
    with store.engine.connect() as conn:
        sql = (
            "SELECT c.data FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id "
            f"WHERE s.run_id = '{run_id}' ORDER BY c.seq"
        )
        return [bytes(b) for b in conn.exec_driver_sql(sql).scalars().all()]


def test_small_appends_store_what_one_big_append_stores(store: Store) -> None:
    """Appends of a few points rewrite the tail chunk each time (reusing the last decoded
    tail and skipping sections that did not compress); the points read back are the same as
    one append's, and a chunk that fills up is encoded exactly as one append encodes it."""
    small, big = store.create_run("p"), store.create_run("p")
    total = CHUNK_POINTS + 300
    for lo in range(0, total, 100):
        end = min(lo + 100, total)
        store.append_metrics(small.id, [noisy("x", lo, end)])
        tail = decode(chunk_blobs(store, small.id)[-1])  # each version decodes
        assert tail[0].tolist() == list(range((end - 1) // CHUNK_POINTS * CHUNK_POINTS, end))
    for lo in range(0, total, 1000):
        store.append_metrics(big.id, [noisy("x", lo, min(lo + 1000, total))])
    got, want = store.read_series(small.id, "x"), store.read_series(big.id, "x")
    for a, b in zip(got, want, strict=True):
        assert a.tobytes() == b.tobytes()
    full_small, tail_small = chunk_blobs(store, small.id)
    full_big, _ = chunk_blobs(store, big.id)
    assert full_small == full_big
    # The tail is smaller than its points raw: steps, times and exponents still compress.
    assert len(tail_small) < 300 * 24 and raw_sections(tail_small)[:2] == (False, False)


def test_a_tail_changed_by_another_process_is_read_again(store: Store, store_uri: str) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [noisy("x", 0, 10)])
    code = (
        "import sys, numpy as np\n"
        "from tracklog.store.records import SeriesPoints\n"
        "from tracklog.store.tracking import Store\n"
        "s = np.arange(10, 20, dtype=np.int64)\n"
        "Store(sys.argv[1]).append_metrics(sys.argv[2], "
        "[SeriesPoints('x', '', s, s * 1.5, s)])\n"
    )
    subprocess.run([sys.executable, "-c", code, store_uri, run.id], check=True)
    store.append_metrics(run.id, [noisy("x", 20, 30)])
    steps, values, _ = store.read_series(run.id, "x")
    assert steps.tolist() == list(range(30))
    assert values[10:20].tolist() == [s * 1.5 for s in range(10, 20)]


def test_an_append_rolled_back_leaves_no_trace_in_later_appends(store: Store) -> None:
    run = store.create_run("p")
    store.append_metrics(run.id, [points("x", [0, 1], [1.0, 2.0])])
    with store.engine.connect() as conn, conn.begin() as tx:
        series.append(conn, run.id, [points("x", [2], [99.0])])
        tx.rollback()
    store.append_metrics(run.id, [points("x", [2], [3.0])])
    assert store.read_series(run.id, "x")[1].tolist() == [1.0, 2.0, 3.0]


def test_sections_kept_raw_round_trip() -> None:
    p = noisy("x", 0, 500)
    kept = encode(p.steps, p.values, p.timestamps, [True] * 10)
    assert raw_sections(kept) == (True,) * 10
    assert len(kept) > len(encode(p.steps, p.values, p.timestamps))
    for a, b in zip(decode(kept), (p.steps, p.values, p.timestamps), strict=True):
        assert a.tobytes() == b.tobytes()
