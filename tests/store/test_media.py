"""Media and histograms in the store, on SQLite and PostgreSQL: round trips, content-addressed
files stored once, batch ids applied once, every bad input refused before anything is written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tracklog.errors import InvalidTypeError, InvalidValueError, NotFoundError, RunDeletedError
from tracklog.store import validation
from tracklog.store.media_names import content_name
from tracklog.store.records import Attachment, HistogramItem, MediaItem, MediaKey
from tracklog.store.tracking import Store

CTX = '{"subset":"val"}'


def _item(key: str = "sample", step: int = 0, data: bytes = b"hello", **kw: Any) -> MediaItem:
    values: dict[str, Any] = {"context": "", "time_ms": 1000 + step, "kind": "text", "ext": "txt"}
    values.update(kw)
    return MediaItem(key=key, step=step, data=data, **values)


def _hist(key: str = "weights", step: int = 0, **kw: Any) -> HistogramItem:
    values: dict[str, Any] = {
        "context": "",
        "time_ms": 5,
        "edges": np.array([0.0, 0.5, 1.0]),
        "counts": np.array([3.0, 4.0]),
    }
    values.update(kw)
    return HistogramItem(key=key, step=step, **values)


def _run(store: Store) -> str:
    return store.create_run("p").id


def _media_files(store: Store, run_id: str) -> list[str]:
    root = Path(store.get_run(run_id).artifact_uri) / "media"
    return sorted(os.listdir(root)) if root.exists() else []


def test_media_round_trip_in_key_context_and_step_order(store: Store) -> None:
    run_id = _run(store)
    batch = [
        _item("b", 2, b"b2"),
        _item("a", 1, b"a1", meta={"caption": "one"}),
        _item("a", 0, b"a0", context=CTX),
        _item("a", 0, b"<p>x</p>", kind="html", ext="html"),
    ]
    assert store.log_media(run_id, batch) is True
    got = store.media(run_id)
    assert [(m.key, m.context, m.step) for m in got] == [
        ("a", "", 0),
        ("a", "", 1),
        ("a", CTX, 0),
        ("b", "", 2),
    ]
    first = got[0]
    assert first.kind == "html" and first.size == len(b"<p>x</p>")
    assert first.path == f"media/{content_name(b'<p>x</p>', 'html')}"
    assert got[1].meta == {"caption": "one"} and got[1].time_ms == 1001
    with store.open_file(run_id, got[1].path) as f:
        assert f.read() == b"a1"
    assert [m.step for m in store.media(run_id, "a")] == [0, 1, 0]
    assert [m.context for m in store.media(run_id, "a", {"subset": "val"})] == [CTX]
    assert [m.step for m in store.media(run_id, "a", {})] == [0, 1]
    assert store.media(run_id, "none") == []


def test_the_same_bytes_are_stored_once(store: Store) -> None:
    run_id = _run(store)
    mask = Attachment(b"mask-bytes", "png")
    store.log_media(run_id, [_item("x", 0, b"same", attachments=(mask,))])
    store.log_media(run_id, [_item("x", 1, b"same"), _item("y", 0, b"same", attachments=(mask,))])
    assert len(store.media(run_id)) == 3
    assert _media_files(store, run_id) == sorted(
        [content_name(b"same", "txt"), content_name(b"mask-bytes", "png")]
    )


def test_a_batch_id_is_applied_once(store: Store) -> None:
    run_id = _run(store)
    assert store.log_media(run_id, [_item()], batch_id="m1") is True
    assert store.log_media(run_id, [_item()], batch_id="m1") is False
    assert store.log_histograms(run_id, [_hist()], batch_id="h1") is True
    assert store.log_histograms(run_id, [_hist()], batch_id="h1") is False
    assert len(store.media(run_id)) == 1
    assert len(store.histograms(run_id, "weights")) == 1


def test_histograms_round_trip_bit_for_bit(store: Store) -> None:
    run_id = _run(store)
    edges = np.array([-1e300, -0.1, 0.0, 1e-300, 7.5])
    counts = np.array([0.25, 1e9, 0.0, 3.0])
    store.log_histograms(
        run_id,
        [
            _hist(step=3, edges=edges, counts=counts),
            _hist(step=1),
            _hist(step=0, context=CTX),
        ],
    )
    got = store.histograms(run_id, "weights")
    assert [(h.context, h.step) for h in got] == [("", 1), ("", 3), (CTX, 0)]
    assert got[1].edges.tobytes() == edges.tobytes()
    assert got[1].counts.tobytes() == counts.tobytes()
    assert got[1].edges.dtype == np.float64
    assert [h.step for h in store.histograms(run_id, "weights", {})] == [1, 3]
    assert store.histograms(run_id, "other") == []


def test_media_keys_count_each_key_and_kind(store: Store) -> None:
    run_id = _run(store)
    store.log_media(run_id, [_item("img", 4, b"1", kind="image", ext="png"), _item("img", 9)])
    store.log_media(run_id, [_item("txt", 2, b"2"), _item("txt", 7, b"3", context=CTX)])
    store.log_histograms(run_id, [_hist(step=1), _hist(step=5)])
    assert store.media_keys(run_id) == [
        MediaKey("img", "", "image", 1, 4),
        MediaKey("img", "", "text", 1, 9),
        MediaKey("txt", "", "text", 1, 2),
        MediaKey("txt", CTX, "text", 1, 7),
        MediaKey("weights", "", "histogram", 2, 5),
    ]


BAD_MEDIA = [
    (_item(key=" padded"), "leading or trailing white space"),
    (_item(key=""), "media key"),
    (_item(context="{bad"), "context must be canonical JSON"),
    (_item(context=None), "context must be a string"),
    (_item(step=2**63), "outside the 64-bit integer range"),
    (_item(time_ms=-1), "time_ms"),
    (_item(kind="sound"), "kind 'sound' is not one of"),
    (_item(ext="PNG"), "extension"),
    (_item(ext="../x"), "extension"),
    (_item(data="text"), "must be bytes"),
    (_item(meta={"caption": object()}), "cannot be stored as JSON"),
    (_item(meta=[1]), "meta must be a dict"),
    (_item(attachments=(b"x",)), "not Attachment"),
    (_item(attachments=(Attachment(b"x", "a.b"),)), "extension"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_MEDIA)
def test_bad_media_are_refused_and_nothing_of_the_batch_is_written(
    store: Store, bad: MediaItem, message: str
) -> None:
    run_id = _run(store)
    store.log_media(run_id, [_item("kept", 0, b"kept")])
    with pytest.raises((InvalidValueError, InvalidTypeError), match=message):
        store.log_media(run_id, [_item("good", 1, b"new bytes"), bad], batch_id="b")
    assert [m.key for m in store.media(run_id)] == ["kept"]
    assert _media_files(store, run_id) == [content_name(b"kept", "txt")]
    assert store.log_media(run_id, [_item("good", 1, b"new bytes")], batch_id="b") is True


def test_deeply_nested_meta_is_refused_naming_the_key(store: Store) -> None:
    run_id = _run(store)
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(validation.MAX_JSON_DEPTH + 1):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(InvalidValueError, match=r"media 'sample' meta.*nested"):
        store.log_media(run_id, [_item(meta=deep)])


def test_a_file_over_the_limit_is_refused_before_anything_is_written(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validation, "MAX_MEDIA_BYTES", 8)
    run_id = _run(store)
    with pytest.raises(InvalidValueError, match="media 'big': a file of 9 bytes is over"):
        store.log_media(run_id, [_item("small", 0, b"1"), _item("big", 0, b"123456789")])
    big_mask = Attachment(b"123456789", "png")
    with pytest.raises(InvalidValueError, match="an attachment"):
        store.log_media(run_id, [_item("small", 0, b"1", attachments=(big_mask,))])
    assert store.media(run_id) == [] and _media_files(store, run_id) == []


BAD_HISTOGRAMS = [
    (_hist(edges=np.array([0.0, 1.0])), "2 edges for 2 counts"),
    (_hist(edges=np.array([0.0, 1.0, 1.0])), "increasing"),
    (_hist(edges=np.array([0.0, 1.0, np.inf])), "finite"),
    (_hist(edges=np.array([[0.0, 1.0, 2.0]])), "one-dimensional"),
    (_hist(counts=np.array([1.0, np.nan])), "counts must be finite"),
    (_hist(counts=np.array([1.0, -1.0])), "not negative"),
    (_hist(counts=np.array([]), edges=np.array([0.0])), "0 bins"),
    (_hist(counts=["a", "b"]), "array of numbers"),
    (_hist(key="k\n"), "histogram key"),
    (_hist(step=1.5), "finite integer"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_HISTOGRAMS)
def test_bad_histograms_are_refused_and_nothing_of_the_batch_is_written(
    store: Store, bad: HistogramItem, message: str
) -> None:
    run_id = _run(store)
    store.log_histograms(run_id, [_hist("kept")])
    with pytest.raises((InvalidValueError, InvalidTypeError), match=message):
        store.log_histograms(run_id, [_hist("good"), bad], batch_id="b")
    assert store.media_keys(run_id) == [MediaKey("kept", "", "histogram", 1, 0)]
    assert store.log_histograms(run_id, [_hist("good")], batch_id="b") is True


def test_writes_need_a_live_run_and_reads_an_existing_one(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.log_media("nope", [_item()])
    with pytest.raises(NotFoundError):
        store.log_histograms("nope", [_hist()])
    with pytest.raises(NotFoundError):
        store.media("nope")
    with pytest.raises(NotFoundError):
        store.media_keys("nope")
    with pytest.raises(NotFoundError):
        store.histograms("nope", "k")
    run_id = _run(store)
    store.delete_run(run_id)
    with pytest.raises(RunDeletedError):
        store.log_media(run_id, [_item()])
    with pytest.raises(RunDeletedError):
        store.log_histograms(run_id, [_hist()])
    with pytest.raises(InvalidValueError, match="batch id"):
        store.log_histograms(run_id, [_hist()], batch_id="x" * 65)


def test_purging_a_run_removes_its_media_and_histograms(store: Store) -> None:
    run_id, other = _run(store), _run(store)
    for r in (run_id, other):
        store.log_media(r, [_item()])
        store.log_histograms(r, [_hist()])
    store.delete_run(run_id)
    assert [r.id for r in store.purge_deleted_runs()] == [run_id]
    from sqlalchemy import func, select

    from tracklog.store import schema

    with store.engine.connect() as conn:
        for table in (schema.run_media, schema.run_histograms):
            runs = conn.execute(select(table.c.run_id, func.count()).group_by(table.c.run_id))
            assert runs.all() == [(other, 1)]
    assert len(store.media(other)) == 1


def test_export_and_import_carry_media_files_and_histograms(store: Store, tmp_path: Path) -> None:
    from tracklog.store.transfer import export_runs, import_runs

    run_id = _run(store)
    mask = Attachment(b"mask-bytes", "png")
    store.log_media(run_id, [_item("x", 0, b"one", attachments=(mask,)), _item("y", 2, b"two")])
    store.log_histograms(run_id, [_hist(step=3)])
    (folder,) = export_runs(store, [run_id], tmp_path / "out")
    (copy,) = import_runs(store, folder, new_id=True)
    assert store.media(copy) == store.media(run_id)
    assert _media_files(store, copy) == _media_files(store, run_id)
    assert len(_media_files(store, copy)) == 3
    (h,) = store.histograms(copy, "weights")
    assert (h.step, h.counts.tolist()) == (3, [3.0, 4.0])


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("bytes", "do not match its name"),
        ("missing", "missing, or not 3 bytes"),
        ("histogram", "increasing"),
        ("kind", "kind 'movie'"),
        ("path", "not a media file name"),
    ],
)
def test_an_import_with_bad_media_is_refused_and_writes_nothing(
    store: Store, tmp_path: Path, tamper: str, message: str
) -> None:
    import json

    from tracklog.store.transfer import ImportFolderError, export_runs, import_runs

    run_id = _run(store)
    store.log_media(run_id, [_item("x", 0, b"one")])
    store.log_histograms(run_id, [_hist()])
    (folder,) = export_runs(store, [run_id], tmp_path / "out")
    doc = json.loads((folder / "run.json").read_text())
    media_file = folder / doc["media"][0]["path"]
    if tamper == "bytes":
        media_file.write_bytes(b"two")
    elif tamper == "missing":
        media_file.unlink()
    elif tamper == "histogram":
        doc["histograms"][0]["edges"] = [0.0, 0.0, 1.0]
    elif tamper == "kind":
        doc["media"][0]["kind"] = "movie"
    else:
        doc["media"][0]["path"] = "media/../x.txt"
    (folder / "run.json").write_text(json.dumps(doc))
    runs_before = len(store.search_runs())
    with pytest.raises(ImportFolderError, match=message):
        import_runs(store, folder, new_id=True)
    assert len(store.search_runs()) == runs_before


def test_media_files_are_written_only_as_plain_names_in_the_run(store: Store) -> None:
    run = store.get_run(_run(store))
    for name in ("../escape.txt", "a/b.txt", ".."):
        with pytest.raises(InvalidValueError):
            store.artifacts.write_new(run.artifact_uri, "media", [(name, b"x")])
    assert store.artifacts.write_new(run.artifact_uri, "media", [("a.txt", b"1")] * 2) == 1
