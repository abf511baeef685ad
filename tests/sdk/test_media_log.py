"""Media through ``log()`` and ``track()``: mixed with numbers, encoded on the writer thread,
read back with ``Api``; offline journals carry them to ``tracklog sync`` exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklog
from media_values import Broken, Masked, Spread, Stored, parquet
from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.sync import sync_folder
from tracklog.store.records import MediaKey
from tracklog.store.tracking import Store


def test_log_takes_media_and_strings_mixed_with_numbers(local_store: str, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<b>bold</b>")
    with tracklog.init(project="p") as run:
        run.log({"loss": 0.5, "sample": "first words", "eval": {"page": tracklog.Html(page)}})
        run.log({"loss": 0.25, "sample": tracklog.Text("second")})
        run.log({"weights": Spread([0.0, 1.0, 1.0])}, step=7)
        run.log({"loss": 0.125})
    r = tracklog.Api().run(run.id)
    assert r.series("loss").steps.tolist() == [0, 1, 8]
    texts = r.media("sample")
    assert [(m.step, m.kind, m.read_bytes()) for m in texts] == [
        (0, "text", b"first words"),
        (1, "text", b"second"),
    ]
    (html,) = r.media("eval/page")
    assert html.kind == "html" and html.read_bytes() == b"<b>bold</b>"
    assert html.caption is None
    (hist,) = r.histograms("weights")
    assert hist.step == 7 and hist.counts.tolist() == [1.0, 2.0]
    assert hist.edges.tolist() == [0.0, 0.5, 1.0]
    assert [k.key for k in r.media_keys()] == ["eval/page", "sample", "weights"]


def test_a_bad_value_is_refused_naming_its_key_and_the_others_are_logged(
    local_store: str,
) -> None:
    with tracklog.init(project="p") as run:
        with pytest.raises(InvalidTypeError, match="'bad'"):
            run.log({"loss": 1.0, "bad": [1, 2], "note": "kept"})
        with pytest.raises(InvalidTypeError, match=r"'obj'.*and 1 more refused"):
            run.log({"obj": object(), "nested": {"x": {1, 2}}, "acc": 0.5})
        with pytest.raises(InvalidValueError, match="metric key"):
            run.log({"": tracklog.Text("x"), "n": 2.0})
        with pytest.raises(InvalidTypeError, match="'only'"):
            run.log({"only": [1]})  # nothing taken: the step does not advance
        assert run.step == 3
    r = tracklog.Api().run(run.id)
    assert r.series("loss").steps.tolist() == [0]
    assert r.series("acc").steps.tolist() == [1]
    assert r.series("n").steps.tolist() == [2]
    assert [m.read_bytes() for m in r.media("note")] == [b"kept"]


def test_track_takes_media_in_a_context_with_its_own_steps(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.track("a", name="pred", context={"subset": "val"})
        run.track(tracklog.Text("b"), name="pred", context={"subset": "val"}, epoch=3)
        run.track(Masked(), name="seg", step=5)
    r = tracklog.Api().run(run.id)
    val = r.media("pred", {"subset": "val"})
    assert [(m.step, m.read_bytes()) for m in val] == [(0, b"a"), (1, b"b")]
    assert r.series("epoch", context={"subset": "val"}).steps.tolist() == [1]
    (seg,) = r.media("seg")
    assert seg.step == 5 and seg.caption == "cat" and seg.meta["masks"] == ["mask.png"]
    files = {p.name for p in (Path(r.artifact_uri) / "media").iterdir()}
    assert len(files) == 4 and Path(seg.path).name in files  # two texts, an image, a mask


def test_an_encoding_failure_is_warned_naming_the_key_and_the_writer_goes_on(
    local_store: str,
) -> None:
    with tracklog.init(project="p") as run:
        with pytest.warns(UserWarning, match="'broken' at step 0 could not be encoded"):
            run.log({"broken": Broken(), "fine": "text", "loss": 1.0})
            run._writer.flush()
        run.log({"later": "still logged"})
    r = tracklog.Api().run(run.id)
    assert r.status == "FINISHED"
    assert [k.key for k in r.media_keys()] == ["fine", "later"]
    assert r.series("loss").values.tolist() == [1.0]


def test_a_value_encoded_into_a_bad_item_is_dropped_alone(local_store: str) -> None:
    bad = r"'odd' at step 0 could not be encoded.*'movie'"
    with tracklog.init(project="p") as run, pytest.warns(UserWarning, match=bad):
        run.log({"odd": Stored("movie", b"x", "mp4"), "ok": "kept", "also": Masked()})
        run._writer.flush()
    r = tracklog.Api().run(run.id)
    assert [k.key for k in r.media_keys()] == ["also", "ok"]


def test_an_oversize_string_names_its_key(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.store import validation

    monkeypatch.setattr(validation, "MAX_MEDIA_BYTES", 4)
    with tracklog.init(project="p") as run, pytest.raises(InvalidValueError, match="'long'"):
        run.log({"long": "too long", "short": "ok"})
    assert [m.read_bytes() for m in tracklog.Api().run(run.id).media("short")] == [b"ok"]


def test_offline_media_reach_the_store_once_through_sync(local_store: str) -> None:
    with tracklog.init(project="off", mode="offline") as run:
        run.log({"loss": 1.0, "sample": "offline text", "w": Spread([1.0, 2.0])})
        run.track(Masked(), name="seg", context={"k": "v"})
    folder = Path(local_store) / "offline" / run.id
    store = Store(local_store)
    assert sync_folder(store, folder).applied > 0
    (folder / "synced-offset").unlink()
    sync_folder(store, folder)  # everything again: each batch is applied once
    assert store.media_keys(run.id) == [
        MediaKey("sample", "", "text", 1, 0),
        MediaKey("seg", '{"k":"v"}', "image", 1, 0),
        MediaKey("w", "", "histogram", 1, 0),
    ]
    r = tracklog.Api().run(run.id)
    assert [m.read_bytes() for m in r.media("sample")] == [b"offline text"]
    assert r.histograms("w")[0].counts.tolist() == [1.0, 1.0]
    store.close()


def test_disabled_runs_take_media_and_still_refuse_bad_values(local_store: str) -> None:
    run = tracklog.init(project="p", mode="disabled")
    run.log({"sample": "text", "x": 1.0})
    with pytest.raises(InvalidTypeError, match="'bad'"):
        run.log({"bad": [1]})
    run.finish()


def test_api_decodes_images_and_reads_tables_as_dataframes(
    local_store: str, tmp_path: Path
) -> None:
    import io

    import numpy as np
    import pandas as pd
    from PIL import Image

    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")

    first, last = pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [3], "b": ["x"]})
    with tracklog.init(project="p") as run:
        run.log({"img": Stored("image", png.getvalue(), "png")})
        run.log({"t": Stored("table", parquet(first), "parquet")}, step=5)
        run.log({"t": Stored("plot", parquet(last), "parquet")}, step=9)
    r = tracklog.Api().run(run.id)
    assert np.array_equal(r.media("img")[0].to_numpy(), pixels)
    pd.testing.assert_frame_equal(r.table("t"), last)
    pd.testing.assert_frame_equal(r.table("t", step=5), first)
    with pytest.raises(tracklog.NotFoundError, match="no table 't' at step 7"):
        r.table("t", step=7)
    with pytest.raises(InvalidValueError, match="to_numpy"):
        r.media("t")[0].to_numpy()
    assert r.media("img")[0].download(tmp_path / "d").read_bytes() == png.getvalue()
