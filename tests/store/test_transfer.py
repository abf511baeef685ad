"""Run export and import: a lossless round trip across backends, and corrupt folders refused."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tracklog.store.records import Attachment, HistogramItem, MediaItem, SeriesPoints
from tracklog.store.tracking import Store
from tracklog.store.transfer import (
    FORMAT_VERSION,
    ImportFolderError,
    export_runs,
    import_runs,
)


def _points(key: str, steps: list[int], values: list[float], ctx: str = "") -> SeriesPoints:
    n = len(steps)
    return SeriesPoints(
        key,
        ctx,
        np.asarray(steps, np.int64),
        np.asarray(values, np.float64),
        np.arange(1_000, 1_000 + n, dtype=np.int64),
    )


def make_rich_run(store: Store, tmp_path: Path) -> str:
    """A finished run using every feature the export must carry."""
    run = store.create_run(
        "proj",
        name="rich",
        user="ada",
        group="g1",
        job_type="train",
        notes="some notes",
        start_time=1_700_000_000_000,
        host="box",
        config={"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}, "tiny": 1e-300},
        labels=["baseline", "v2"],
    )
    rid = run.id
    store.set_config(rid, {"lr": 0.05, "opt": {"name": "sgd"}})
    store.set_tags(rid, {"team": "vision", "empty": ""})
    store.set_metric_defs(rid, [{"name": "acc", "summary": "max", "goal": "maximize"}])
    store.append_metrics(
        rid,
        [
            _points("loss", [0, 1, 2], [1.0, math.nan, 0.5]),
            _points("acc", [5, 3, 3, 1], [0.1, math.inf, -math.inf, 0.2]),  # out of order
            _points("loss", [1, 1], [0.7, 0.6], ctx='{"split":"val"}'),
        ],
    )
    store.append_metrics(rid, [_points("loss", [2, 0], [0.25, 0.125])])  # steps go back
    big = np.arange(5000, dtype=np.int64)  # spans two chunks
    store.append_metrics(
        rid,
        [SeriesPoints("big", "", big[::-1].copy(), np.sin(big.astype(float)), big * 7)],
    )
    store.set_summary(rid, {"best": math.nan, "note": {"a": [1, "x"]}, "loss": 0.0})
    store.update_run(rid, metadata={"git": {"commit": "abc"}, "python": "3.11"})
    src = tmp_path / "weights.bin"
    src.write_bytes(bytes(range(256)) * 100)
    store.log_artifact(rid, src, "model/weights.bin")
    store.write_file(rid, "notes.txt", [b"hello\n"])
    mask = Attachment(b"mask", "png")
    store.log_media(
        rid,
        [
            MediaItem("pred", "", 3, 5, "text", b"cat", "txt", {"caption": "c"}),
            MediaItem("seg", '{"split":"val"}', 1, 6, "image", b"img", "png", {}, (mask,)),
        ],
    )
    edges, counts = np.array([-1e300, 0.1, 2.0]), np.array([1e-300, 7.0])
    store.log_histograms(rid, [HistogramItem("w", "", 4, 7, edges, counts)])
    store.finish_run(rid, "FAILED", exit_code=3, error="boom", end_time=1_700_000_100_000)
    return rid


def assert_same_export(a: Path, b: Path) -> None:
    """Two run folders hold the same run: run.json equal, Parquet equal as data, files equal."""
    import pyarrow.parquet as pq

    assert (a / "run.json").read_text() == (b / "run.json").read_text()
    ta, tb = pq.read_table(a / "metrics.parquet"), pq.read_table(b / "metrics.parquet")
    assert ta.schema == tb.schema
    for col in ta.column_names:
        xa, xb = ta.column(col).to_numpy(), tb.column(col).to_numpy()
        if xa.dtype.kind == "f":
            assert xa.tobytes() == xb.tobytes()  # bit-exact, NaN included
        else:
            assert list(xa) == list(xb)
    fa = sorted(p.relative_to(a) for d in ("files", "media") for p in (a / d).rglob("*"))
    fb = sorted(p.relative_to(b) for d in ("files", "media") for p in (b / d).rglob("*"))
    assert fa == fb
    for rel in fa:
        if (a / rel).is_file():
            assert (a / rel).read_bytes() == (b / rel).read_bytes()


@pytest.fixture
def second_store(
    postgres_uri_factory: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """An empty PostgreSQL store with its own artifact root."""
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts2"))
    s = Store(postgres_uri_factory())
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts1"))
    s = Store(f"sqlite:///{tmp_path}/src.db")
    yield s
    s.close()


@pytest.mark.postgres
def test_sqlite_to_postgres_round_trip_is_identical(
    sqlite_store: Store, second_store: Store, tmp_path: Path
) -> None:
    rid = make_rich_run(sqlite_store, tmp_path)
    (first,) = export_runs(sqlite_store, [rid], tmp_path / "out1")
    assert import_runs(second_store, first) == [rid]
    (again,) = export_runs(second_store, [rid], tmp_path / "out2")
    assert_same_export(first, again)

    a, b = sqlite_store.get_run(rid), second_store.get_run(rid)
    assert (a.config, a.tags, a.labels, a.summary, a.metadata) == (
        b.config,
        b.tags,
        b.labels,
        b.summary,
        b.metadata,
    )
    assert sqlite_store.config_history(rid) == second_store.config_history(rid)
    for key, ctx in (("loss", None), ("acc", None), ("loss", {"split": "val"}), ("big", None)):
        x, y = sqlite_store.read_series(rid, key, ctx), second_store.read_series(rid, key, ctx)
        for u, v in zip(x, y, strict=True):
            assert u.tobytes() == v.tobytes()
    assert second_store.list_files(rid) == sqlite_store.list_files(rid)
    with second_store.open_file(rid, "model/weights.bin") as f:
        assert f.read() == bytes(range(256)) * 100
    assert second_store.media(rid) == sqlite_store.media(rid)
    for x, y in zip(
        sqlite_store.histograms(rid, "w"), second_store.histograms(rid, "w"), strict=True
    ):
        assert (x.edges.tobytes(), x.counts.tobytes()) == (y.edges.tobytes(), y.counts.tobytes())
    for m in second_store.media(rid):
        with second_store.open_file(rid, m.path) as f:
            assert len(f.read()) == m.size


def test_points_keep_arrival_order_and_special_values(store: Store, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    rid = make_rich_run(store, tmp_path)
    (folder,) = export_runs(store, [rid], tmp_path / "out")
    t = pq.read_table(folder / "metrics.parquet").to_pandas()
    loss = t[(t.key == "loss") & (t.context == "")]
    assert list(loss.step) == [0, 1, 2, 2, 0]
    assert loss.value.iloc[1] != loss.value.iloc[1]
    acc = t[t.key == "acc"]
    assert list(acc.step) == [5, 3, 3, 1]
    assert list(acc.value) == [0.1, math.inf, -math.inf, 0.2]
    doc = json.loads((folder / "run.json").read_text())
    assert doc["format_version"] == FORMAT_VERSION
    explicit = {s["key"]: s["explicit"] for s in doc["summary"]}
    assert explicit["best"] and explicit["loss"] and not explicit["acc"]
    assert doc["config_history"][0]["key"] == "lr"
    assert doc["status"] == "FAILED" and doc["exit_code"] == 3 and doc["error"] == "boom"


def test_import_into_same_backend_with_new_id(store: Store, tmp_path: Path) -> None:
    rid = make_rich_run(store, tmp_path)
    (folder,) = export_runs(store, [rid], tmp_path / "out")
    with pytest.raises(AlreadyExistsError, match="--new-id"):
        import_runs(store, folder)
    (new,) = import_runs(store, folder, new_id=True)
    assert new != rid
    (again,) = export_runs(store, [new], tmp_path / "out2")
    doc1 = json.loads((folder / "run.json").read_text())
    doc2 = json.loads((again / "run.json").read_text())
    assert doc1.pop("id") == rid and doc2.pop("id") == new
    assert json.dumps(doc1, allow_nan=True) == json.dumps(doc2, allow_nan=True)
    with store.open_file(new, "notes.txt") as f:
        assert f.read() == b"hello\n"


def test_export_refuses_existing_target_and_leaves_no_partial(store: Store, tmp_path: Path) -> None:
    rid = make_rich_run(store, tmp_path)
    out = tmp_path / "out"
    export_runs(store, [rid], out)
    with pytest.raises(AlreadyExistsError):
        export_runs(store, [rid], out)
    # A file that vanished from the artifact store fails the export and leaves nothing behind.
    other = store.create_run("proj").id
    store.write_file(other, "gone.txt", [b"x"])
    (Path(store.get_run(other).artifact_uri) / "gone.txt").unlink()
    with pytest.raises(NotFoundError, match=r"gone\.txt"):
        export_runs(store, [other], out)
    assert sorted(p.name for p in out.iterdir()) == [rid]


def _corrupt(folder: Path, how: str) -> str:
    """Damage an export folder; return the file name the error must name."""
    if how == "no_run_json":
        (folder / "run.json").unlink()
        return "run.json"
    if how == "bad_json":
        (folder / "run.json").write_text("{not json")
        return "run.json"
    if how == "bad_version":
        doc = json.loads((folder / "run.json").read_text())
        doc["format_version"] = 99
        (folder / "run.json").write_text(json.dumps(doc))
        return "run.json"
    if how == "truncated_parquet":
        data = (folder / "metrics.parquet").read_bytes()
        (folder / "metrics.parquet").write_bytes(data[: len(data) // 2])
        return "metrics.parquet"
    if how == "no_parquet":
        (folder / "metrics.parquet").unlink()
        return "metrics.parquet"
    if how == "wrong_columns":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"key": ["a"], "step": [1.5]}), folder / "metrics.parquet")
        return "metrics.parquet"
    if how == "missing_file":
        (folder / "files" / "notes.txt").unlink()
        return "notes.txt"
    if how == "bad_field":
        doc = json.loads((folder / "run.json").read_text())
        doc["start_time"] = "yesterday"
        (folder / "run.json").write_text(json.dumps(doc))
        return "run.json"
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "no_run_json",
        "bad_json",
        "bad_version",
        "truncated_parquet",
        "no_parquet",
        "wrong_columns",
        "missing_file",
        "bad_field",
    ],
)
def test_corrupt_folder_names_file_and_writes_nothing(
    store: Store, tmp_path: Path, how: str
) -> None:
    rid = make_rich_run(store, tmp_path)
    out = tmp_path / "out"
    export_runs(store, [rid], out)
    store.set_tags(rid, {"x": "y"})  # a second, healthy run in the same folder, imported first
    good = store.create_run("other").id
    export_runs(store, [good], out)
    before = {r.id for r in store.search_runs(lifecycle="all")}
    name = _corrupt(out / rid, how)
    with pytest.raises(ImportFolderError, match=re.escape(name)):
        import_runs(store, out, new_id=True)
    assert {r.id for r in store.search_runs(lifecycle="all")} == before


def test_failed_write_rolls_back_everything(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.store import transfer

    rid = make_rich_run(store, tmp_path)
    (folder,) = export_runs(store, [rid], tmp_path / "out")
    before = {r.id for r in store.search_runs(lifecycle="all")}

    def fail(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store.artifacts, "write", fail)
    with pytest.raises(OSError, match="disk full"):
        transfer.import_runs(store, folder, new_id=True)
    assert {r.id for r in store.search_runs(lifecycle="all")} == before


def test_not_a_folder_and_empty_folder(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match=r"run\.json"):
        import_runs(store, tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("group_name", "g" * 1200 + "\x00", "group"),
        ("job_type", "train\x00", "job_type"),
        ("user", "u" * 300, "user"),
        ("host", "h" * 300, "host"),
        ("exit_code", 2**40, "exit code"),
        ("pid", 2**40, "pid"),
        ("start_time", 2**70, "start_time"),
        ("end_time", -(2**70), "end_time"),
        ("metric_defs", [{"name": "acc", "goal": "sideways"}], "goal"),
        ("metric_defs", [{"name": "acc", "step_metric": " x"}], "step metric"),
        ("config", {"lr": [1] * 30_000}, "config key 'lr'"),
        ("labels", [["a", "list"]], "tag must be a string"),
        ("summary", [{"key": ["k"], "value": 1, "explicit": True}], "summary key"),
    ],
)
def test_import_obeys_the_rules_of_creating_a_run(
    store: Store, tmp_path: Path, field: str, value: object, named: str
) -> None:
    """An imported run obeys every rule a created run obeys: a value the store would refuse
    is refused naming the field, before anything is written (on PostgreSQL too, where it
    would otherwise reach the database's column limits)."""
    rid = make_rich_run(store, tmp_path)
    (folder,) = export_runs(store, [rid], tmp_path / "out")
    doc = json.loads((folder / "run.json").read_text())
    doc[field] = value
    (folder / "run.json").write_text(json.dumps(doc))
    before = {r.id for r in store.search_runs(lifecycle="all")}
    with pytest.raises(ImportFolderError, match=re.escape(named)) as caught:
        import_runs(store, folder, new_id=True)
    assert "run.json" in str(caught.value)
    assert {r.id for r in store.search_runs(lifecycle="all")} == before
