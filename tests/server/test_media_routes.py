"""Media and histograms through a server: the SDK's journal and ingest, the read routes, the
remote ``Api``, the run-file route's headers for untrusted files, permissions and bad input."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from remote_helpers import sdk_session

import tracklog
from inprocess import InProcessServer, in_process_server
from media_values import Masked, Spread, Stored, parquet
from tracklog.client.remote import RemoteStore
from tracklog.errors import PermissionDeniedError, RequestTooLargeError
from tracklog.store.auth import AuthStore
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.records import HistogramItem, MediaItem, MediaKey
from tracklog.store.tracking import Store
from tracklog.store.wire import FRAME, MEDIA_TYPE, encode_record

RECORDS = {"content-type": MEDIA_TYPE}


@pytest.fixture
def remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from sdk_session(tmp_path, monkeypatch)


def _text(key: str, step: int, data: bytes, **kw: object) -> MediaItem:
    return MediaItem(key, "", step, 1, "text", data, "txt", **kw)  # type: ignore[arg-type]


def test_media_logged_through_a_server_read_back_with_api(
    server: InProcessServer, remote_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    with tracklog.init(project="m") as run:
        for step in range(3):
            run.log({"loss": 1.0 / (step + 1), "sample": f"text {step}"})
        run.log({"page": tracklog.Html("<script>alert(1)</script>"), "w": Spread([1.0, 3.0])})
        run.track(Masked(), name="seg", context={"subset": "val"}, step=4)
        run.log({"table": Stored("table", parquet(pd.DataFrame({"a": [1, 2]})), "parquet")})
    r = tracklog.Api(server.url).run(run.id)
    pd.testing.assert_frame_equal(r.table("table"), pd.DataFrame({"a": [1, 2]}))
    assert [(m.step, m.read_bytes()) for m in r.media("sample")] == [
        (0, b"text 0"),
        (1, b"text 1"),
        (2, b"text 2"),
    ]
    (seg,) = r.media("seg", {"subset": "val"})
    assert seg.caption == "cat" and seg.kind == "image" and seg.read_bytes() == b"img"
    assert r.media("seg", {}) == []
    (hist,) = r.histograms("w")
    assert hist.step == 3 and hist.counts.tolist() == [1.0, 1.0]
    assert hist.edges.tolist() == [1.0, 2.0, 3.0]
    assert r.media_keys() == [
        MediaKey("page", "", "html", 1, 3),
        MediaKey("sample", "", "text", 3, 2),
        MediaKey("seg", '{"subset":"val"}', "image", 1, 4),
        MediaKey("table", "", "table", 1, 4),
        MediaKey("w", "", "histogram", 1, 3),
    ]
    assert r.series("loss").steps.tolist() == [0, 1, 2]
    saved = r.media("page")[0].download(remote_env / "out")
    assert saved.read_bytes() == b"<script>alert(1)</script>"


def test_remote_batches_are_applied_once_and_checked_before_sending(
    server: InProcessServer,
) -> None:
    remote = RemoteStore(server.url)
    run_id = remote.create_run("m").id
    hist = HistogramItem("h", "", 0, 1, np.array([0.0, 1.0]), np.array([2.0]))
    for _ in range(2):
        remote.log_media(run_id, [_text("t", 0, b"once")], batch_id="b1")
        remote.log_histograms(run_id, [hist], batch_id="b2")
    assert len(remote.media(run_id, "t")) == 1 and len(remote.histograms(run_id, "h")) == 1
    with pytest.raises(tracklog.InvalidValueError, match="kind 'movie'"):
        remote.log_media(run_id, [MediaItem("t", "", 1, 1, "movie", b"x", "mp4")])
    remote.close()


def test_run_files_are_served_so_a_browser_never_runs_them_in_our_origin(
    server: InProcessServer,
) -> None:
    remote = RemoteStore(server.url)
    run_id = remote.create_run("m").id
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    remote.log_media(
        run_id,
        [
            MediaItem("page", "", 0, 1, "html", b"<script>alert(1)</script>", "html"),
            MediaItem("pic", "", 0, 1, "image", svg, "svg"),
            _text("t", 0, b"plain"),
        ],
    )
    client = server.client(f"/api/v1/runs/{run_id}")
    types = {}
    for record in remote.media(run_id):
        answer = client.get(f"/artifacts/{record.path}")
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == "sandbox"
        types[record.kind] = answer.headers["content-type"].split(";")[0]
    assert types == {"html": "text/html", "image": "image/svg+xml", "text": "text/plain"}
    remote.close()


def test_bad_input_is_answered_4xx_naming_what_is_wrong(server: InProcessServer) -> None:
    remote = RemoteStore(server.url)
    run_id = remote.create_run("m").id
    remote.log_media(run_id, [_text("kept", 0, b"kept")])
    client = server.client("/api/v1")
    run = f"/runs/{run_id}"
    for path, params, word in [
        (f"{run}/media", {"context": "{not json"}, "context"),
        (f"{run}/media", {"context": "5"}, "context must be a dict"),
        (f"{run}/histograms", {"key": "h", "context": "[1]"}, "context must be a dict"),
        (f"{run}/histograms", {}, "key"),
        ("/runs/nope/media", {}, "no run"),
        ("/runs/nope/media-keys", {}, "no run"),
        ("/runs/nope/histograms", {"key": "h"}, "no run"),
    ]:
        answer = client.get(path, params=params)
        assert 400 <= answer.status_code < 500, (path, params, answer.text)
        assert word in answer.text, (path, params, answer.text)
    bad_records = [
        encode_record("log_media", {"run_id": run_id, "items": [_text("x", 0, b"1", meta=[])]}),
        encode_record(
            "log_histograms",
            {"run_id": run_id, "items": [HistogramItem("h", "", 0, 1, np.zeros(3), np.ones(1))]},
        ),
        _raw_record("log_media", {"run_id": run_id, "items": "not a list"}),
        _raw_record("log_media", {"run_id": run_id, "items": [["k", "", 0, 1, "text", "txt"]]}),
        # A header that claims a file of 99 bytes the record does not carry.
        _raw_record(
            "log_media", {"run_id": run_id, "items": [["k", "", 0, 1, "text", "txt", {}, 99, []]]}
        ),
        _raw_record("log_histograms", {"run_id": run_id, "items": [["h", "", 0, 1, -2]]}),
    ]
    for body in bad_records:
        answer = client.post("/ingest", content=body, headers=RECORDS)
        assert answer.status_code == 400, answer.text
    assert [m.key for m in remote.media(run_id)] == ["kept"]
    remote.close()


def _raw_record(op: str, args: dict[str, object]) -> bytes:
    """A record with this header as it is and no bytes after it (what a client could send)."""
    payload = json.dumps({"op": op, "args": args}).encode() + b"\n"
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def test_a_media_record_over_the_body_limit_is_413_naming_the_option(
    store_uri: str, app_factory: Callable[..., InProcessServer]
) -> None:
    server = app_factory(store_uri, max_body_bytes=4096)
    remote = RemoteStore(server.url)
    run_id = remote.create_run("m").id
    with pytest.raises(RequestTooLargeError, match="--max-body-bytes"):
        remote.log_media(run_id, [_text("big", 0, b"x" * 8192)])
    assert remote.media(run_id) == []
    remote.close()


def test_with_auth_readers_read_media_and_only_editors_write_them(
    store_uri: str, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    store = Store(StoreLocation(resolve(store_uri).db_url, str(artifacts)))
    auth = AuthStore(store)
    for name in ("alice", "reader", "outsider"):
        auth.create_user(name, None)
    tokens = {name: auth.create_token(name, "t").secret for name in ("alice", "reader", "outsider")}
    with in_process_server(store_uri, artifacts, auth=True) as server:
        alice = RemoteStore(server.url, token=tokens["alice"])
        run_id = alice.create_run("secret").id
        alice.log_media(run_id, [_text("t", 0, b"alice's")])
        auth.grant("reader", "secret", "READ")
        reader = RemoteStore(server.url, token=tokens["reader"])
        (record,) = reader.media(run_id)
        assert reader.media_keys(run_id) == [MediaKey("t", "", "text", 1, 0)]
        assert reader.histograms(run_id, "t") == []
        assert reader.download_file(run_id, record.path, tmp_path / "got").read_bytes() == (
            b"alice's"
        )
        with pytest.raises(PermissionDeniedError):
            reader.log_media(run_id, [_text("t", 1, b"reader's")])
        outsider = RemoteStore(server.url, token=tokens["outsider"])
        for read in (outsider.media, outsider.media_keys):
            with pytest.raises((PermissionDeniedError, tracklog.NotFoundError)):
                read(run_id)
        assert [m.step for m in alice.media(run_id)] == [0]
        for remote in (alice, reader, outsider):
            remote.close()
    store.close()


def test_an_offline_run_s_media_reach_a_server_once_through_sync(
    server: InProcessServer, remote_env: Path
) -> None:
    from tracklog.sdk.sync import sync_folder

    with tracklog.init(project="off", mode="offline") as run:
        run.log({"sample": "offline", "w": Spread([0.0, 1.0]), "loss": 2.0})
    folder = remote_env / "tracklog" / "offline" / run.id
    remote = RemoteStore(server.url)
    assert sync_folder(remote, folder).applied > 0
    (folder / "synced-offset").unlink()
    sync_folder(remote, folder)  # sent again: each batch is applied once
    assert [m.step for m in remote.media(run.id)] == [0]
    assert len(remote.histograms(run.id, "w")) == 1
    remote.close()
