"""The native HTTP API of the server's app, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from inprocess import InProcessServer
from tracklog.store.records import SeriesPoints
from tracklog.store.wire import MEDIA_TYPE, SERIES_MEDIA_TYPE, decode_series, encode_record

RECORDS = {"content-type": MEDIA_TYPE}


def _batch(run_id: str, batch_id: str, values: list[float], first_step: int = 0) -> bytes:
    n = len(values)
    steps = np.arange(first_step, first_step + n)
    points = SeriesPoints("loss", "", steps, np.asarray(values, float), steps.copy())
    return encode_record(
        "append_metrics", {"run_id": run_id, "batch": [points], "batch_id": batch_id}
    )


def test_health_and_openapi(server: InProcessServer) -> None:
    web = server.client()
    assert web.get("/health").json() == {"status": "ok"}
    schema = web.get("/api/v1/openapi.json").json()
    assert "/api/v1/ingest" in schema["paths"]


def test_run_lifecycle_ingest_and_series(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    created = api.post("/runs", json={"project": "p", "config": {"lr": 0.1}, "labels": ["a"]})
    assert created.status_code == 201
    run_id = created.json()["id"]
    body = _batch(run_id, "b1", [1.0, float("nan"), float("inf"), 0.5])
    for _ in range(2):  # a retried request is applied once
        assert api.post("/ingest", content=body, headers=RECORDS).json()["applied"] == 1
    series = api.get(f"/runs/{run_id}/series/loss").json()
    assert series["values"] == [1.0, "NaN", "Infinity", 0.5]
    raw = api.get(f"/runs/{run_id}/series/loss", headers={"accept": SERIES_MEDIA_TYPE})
    steps, values, _ = decode_series(raw.content)
    assert steps.tolist() == [0, 1, 2, 3] and np.isnan(values[1]) and values[2] == np.inf
    assert api.post(f"/runs/{run_id}/finish", json={"status": "FINISHED"}).json()["status"] == (
        "FINISHED"
    )
    found = api.post("/runs/search", json={"filter": "params.lr < 1 and metrics.loss < 1"})
    assert [r["id"] for r in found.json()["runs"]] == [run_id]


def test_finish_takes_a_common_status_name(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    run_id = api.post("/runs", json={"project": "p"}).json()["id"]
    refused = api.post(f"/runs/{run_id}/finish", json={"status": "done-ish"})
    assert refused.status_code == 400 and "FINISHED, FAILED, KILLED" in refused.text
    finished = api.post(f"/runs/{run_id}/finish", json={"status": "Completed", "exit_code": 0})
    assert finished.json()["status"] == "FINISHED"


def test_one_request_of_many_metric_records_applies_each_once_in_order(
    server: InProcessServer,
) -> None:
    api = server.client("/api/v1")
    a, b = (api.post("/runs", json={"project": "p"}).json()["id"] for _ in range(2))
    first = _batch(a, "a1", [1.0, 2.0])
    assert api.post("/ingest", content=first, headers=RECORDS).json()["applied"] == 1
    # The retried record a1 among new ones, runs interleaved: a's records go in together.
    body = b"".join(
        [
            first,
            _batch(a, "a2", [3.0], first_step=2),
            _batch(a, "a2", [3.0], first_step=2),  # the same batch twice in one request
            _batch(a, "a3", [4.0, 5.0], first_step=3),
            _batch(b, "b1", [9.0]),
            _batch(a, "a4", [6.0], first_step=5),
        ]
    )
    for _ in range(2):
        assert api.post("/ingest", content=body, headers=RECORDS).json()["applied"] == 6
    assert api.get(f"/runs/{a}/series/loss").json()["values"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert api.get(f"/runs/{b}/series/loss").json()["values"] == [9.0]
    assert api.get(f"/runs/{a}").json()["summary"] == {"loss": 6.0}
    # A bad record among grouped ones: 4xx naming it, and none of the group is applied.
    bad = encode_record("append_metrics", {"run_id": a, "batch": [], "batch_id": 7})
    refused = api.post("/ingest", content=_batch(a, "a5", [7.0], 6) + bad, headers=RECORDS)
    assert refused.status_code == 400 and "batch_id" in refused.json()["message"]
    assert len(api.get(f"/runs/{a}/series/loss").json()["values"]) == 6


def test_bad_input_is_a_4xx_with_a_reason(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    assert api.get("/runs/nope").status_code == 404
    bad_json = api.post("/runs", content=b"{not json", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["message"]
    wrong_type = api.post("/runs", json={"project": ["x"]})
    assert wrong_type.status_code == 400
    bad_filter = api.post("/runs/search", json={"filter": "metrics.a >> 1"})
    assert bad_filter.status_code == 400 and "unexpected" in bad_filter.json()["message"]
    torn = api.post("/ingest", content=b"\x01\x02", headers=RECORDS)
    assert torn.status_code == 200 and torn.json()["applied"] == 0
    wrong_media = api.post("/ingest", content=b"x", headers={"content-type": "text/plain"})
    assert wrong_media.status_code == 400
    unknown_run = api.post("/ingest", content=_batch("ghost", "b", [1.0]), headers=RECORDS)
    assert unknown_run.status_code == 404
    trashed = api.post("/runs", json={"project": "p"}).json()["id"]
    api.delete(f"/runs/{trashed}")
    deleted_run = api.post("/ingest", content=_batch(trashed, "b", [1.0]), headers=RECORDS)
    assert deleted_run.status_code == 409 and deleted_run.json()["error"] == "RUN_DELETED"
    assert "trash" in deleted_run.json()["message"]


def test_artifacts_stream_and_refuse_escapes(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    run_id = api.post("/runs", json={"project": "p"}).json()["id"]
    payload = bytes(range(256)) * 8192
    assert api.put(f"/runs/{run_id}/artifacts/ckpt/model.bin", content=payload).status_code == 201
    assert api.get(f"/runs/{run_id}/artifacts/ckpt/model.bin").content == payload
    assert api.get(f"/runs/{run_id}/artifacts").json()["files"] == [
        {"path": "ckpt/model.bin", "size": len(payload)}
    ]
    for bad in ("..%2F..%2Fsecret", "%2Fetc%2Fpasswd", "a%5C..%5Cb", "%2e%2e/x"):
        answer = api.put(f"/runs/{run_id}/artifacts/{bad}", content=b"x")
        assert answer.status_code in (400, 404), (bad, answer.status_code)
    # Encoded twice, the dots arrive as a literal name "%2e%2e" and stay inside the run.
    assert api.put(f"/runs/{run_id}/artifacts/%252e%252e/x", content=b"x").status_code == 201
    assert "%2e%2e/x" in [f["path"] for f in api.get(f"/runs/{run_id}/artifacts").json()["files"]]


def test_oversize_body_is_413(store_uri: str, app_factory: Callable[..., InProcessServer]) -> None:
    api = app_factory(store_uri, max_body_bytes=2048).client("/api/v1")
    answer = api.post("/ingest", content=b"x" * 4096, headers=RECORDS)
    assert answer.status_code == 413 and "2048" in answer.json()["message"]


def test_non_finite_summaries_and_stats_survive_json(server: InProcessServer) -> None:
    import math

    import tracklog

    api = server.client("/api/v1")
    run_id = api.post("/runs", json={"project": "p"}).json()["id"]
    body = _batch(run_id, "b1", [1.0, float("inf")])
    api.post("/ingest", content=body, headers=RECORDS)
    assert api.get(f"/runs/{run_id}").json()["summary"] == {"loss": "Infinity"}
    stats = api.get(f"/runs/{run_id}/series").json()["series"][0]
    assert stats["max"] == "Infinity"
    remote = tracklog.Api(server.url).run(run_id)
    assert math.isinf(remote.summary["loss"])
