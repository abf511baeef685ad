"""Limits of a real ``tracklog server`` process: request size, records per request, points per
batch, key and value lengths; each a 4xx naming the limit, and bad input never a 5xx."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from server_process import ServerProcess
from tracklog.store.series import SeriesPoints
from tracklog.store.validation import MAX_KEY, MAX_NAME, MAX_PARAM_VALUE, MAX_TAG_VALUE
from tracklog.store.wire import MEDIA_TYPE, encode_record

RECORDS = {"content-type": MEDIA_TYPE}
MAX_BODY, MAX_POINTS, MAX_RECORDS = 200_000, 10, 3


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """A client of one server per database with small limits."""
    folder = tmp_path_factory.mktemp("limits")
    if request.param == "sqlite":
        uri = f"sqlite:///{folder}/tracklog.db"
    else:
        uri = request.getfixturevalue("postgres_uri_factory")()
    limits = ["--max-body-bytes", str(MAX_BODY), "--max-batch-points", str(MAX_POINTS)]
    limits += ["--max-records-per-request", str(MAX_RECORDS)]
    server = ServerProcess(uri, folder / "artifacts", extra=limits).start()
    yield httpx.Client(base_url=f"{server.url}/api/v1")
    server.stop()


@pytest.fixture
def run_id(api: httpx.Client) -> str:
    return api.post("/runs", json={"project": "limits"}).json()["id"]


def _points(run_id: str, n: int, key: str = "loss", batch_id: str = "b") -> bytes:
    points = SeriesPoints(key, "", np.arange(n), np.ones(n), np.arange(n, dtype=np.int64))
    return encode_record(
        "append_metrics", {"run_id": run_id, "batch": [points], "batch_id": batch_id}
    )


def _refused(answer: httpx.Response, status: int, *words: str) -> bool:
    message = answer.json()["message"]
    return answer.status_code == status and all(w in message for w in words)


def test_request_limits_are_413_naming_the_limit(api: httpx.Client, run_id: str) -> None:
    tag = encode_record("set_tags", {"run_id": run_id, "tags": {"t": "v"}})
    too_many = api.post("/ingest", content=tag * (MAX_RECORDS + 1), headers=RECORDS)
    assert _refused(too_many, 413, str(MAX_RECORDS), "--max-records-per-request")
    too_long = api.post("/ingest", content=_points(run_id, MAX_POINTS + 1), headers=RECORDS)
    assert _refused(too_long, 413, str(MAX_POINTS), "--max-batch-points")
    too_big = api.post("/ingest", content=b"x" * (MAX_BODY + 1), headers=RECORDS)
    assert _refused(too_big, 413, str(MAX_BODY), "--max-body-bytes")
    assert too_big.json()["error"] == "REQUEST_TOO_LARGE"
    # Nothing of a refused request was applied; within the limits everything is.
    run = api.get(f"/runs/{run_id}").json()
    assert run["tags"] == {} and run["summary"] == {}
    fits = api.post("/ingest", content=tag * MAX_RECORDS, headers=RECORDS)
    assert fits.json()["applied"] == MAX_RECORDS
    assert api.post("/ingest", content=_points(run_id, MAX_POINTS), headers=RECORDS).is_success


def test_key_and_value_lengths_are_400_naming_the_limit(api: httpx.Client, run_id: str) -> None:
    long_key = "k" * (MAX_KEY + 1)
    cases: list[tuple[str, str, Any, int]] = [
        ("post", f"/runs/{run_id}/tags", {"tags": {long_key: "v"}}, MAX_KEY),
        ("post", f"/runs/{run_id}/tags", {"tags": {"k": "v" * (MAX_TAG_VALUE + 1)}}, MAX_TAG_VALUE),
        ("post", f"/runs/{run_id}/config", {"updates": {long_key: 1}}, MAX_KEY),
        (
            "post",
            f"/runs/{run_id}/config",
            {"updates": {"k": "v" * (MAX_PARAM_VALUE + 1)}},
            MAX_PARAM_VALUE,
        ),
        ("post", f"/runs/{run_id}/summary", {"values": {long_key: 1}}, MAX_KEY),
        ("post", f"/runs/{run_id}/labels", {"labels": [long_key]}, MAX_KEY),
        ("patch", f"/runs/{run_id}", {"name": "n" * (MAX_NAME + 1)}, MAX_NAME),
        ("post", "/runs", {"project": "p" * (MAX_NAME + 1)}, MAX_NAME),
    ]
    for method, url, body, limit in cases:
        answer = api.request(method, url, json=body)
        assert _refused(answer, 400, str(limit)), (url, answer.text)
    metric = api.post("/ingest", content=_points(run_id, 2, key=long_key), headers=RECORDS)
    assert _refused(metric, 400, str(MAX_KEY), "metric key")


def _raw(op: str, args: Any) -> bytes:
    """A well-framed record whose arguments may be anything at all."""
    payload = json.dumps({"op": op, "args": args}).encode() + b"\n"
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + payload


def test_bad_input_is_never_a_5xx(api: httpx.Client, run_id: str) -> None:
    records = [
        _raw("set_tags", {"run_id": run_id, "tags": [1]}),
        _raw("heartbeat", {"run_id": {"a": 1}}),
        _raw("finish_run", {"run_id": run_id, "status": "FINISHED", "exit_code": "x"}),
        _raw("create_run", {"run_id": "huge", "project": "p", "start_time": 2**70}),
        _raw("create_run", {"run_id": "long", "project": "p", "user": "u" * 1000}),
        _raw("remove_labels", {"run_id": run_id, "labels": [{}]}),
        _raw("append_metrics", {"run_id": run_id, "batch": [], "batch_id": "b" * 500}),
        _raw("set_metric_defs", {"run_id": run_id, "defs": [{}]}),
        _raw("heartbeat", {"run_id": run_id})[:-2] + b"]\n" + _raw("heartbeat", {"run_id": run_id}),
    ]
    for body in records:
        answer = api.post("/ingest", content=body, headers=RECORDS)
        assert 400 <= answer.status_code < 500, (body[:80], answer.text)
    requests: list[tuple[str, str, Any]] = [
        ("post", "/runs", {"project": "p", "start_time": 2**70}),
        ("post", "/runs", {"project": "p", "host": "h" * 1000}),
        ("post", "/runs/search", {"limit": 2**70}),
        ("post", f"/runs/{run_id}/finish", {"status": "FINISHED", "end_time": 2**70}),
        ("post", f"/runs/{run_id}/finish", {"status": "FINISHED", "exit_code": 2**40}),
        ("post", f"/runs/{run_id}/finish", {"status": "done-ish"}),
        ("post", f"/runs/{run_id}/metric-defs", {"defs": [{}]}),
        ("get", f"/runs/{run_id}/series/loss?context=" + "%5B" * 5000, None),
        ("put", f"/runs/{run_id}/artifacts/{'a' * 2000}", None),
    ]
    for method, url, body in requests:
        answer = api.request(method, url, json=body)
        assert 400 <= answer.status_code < 500, (url[:80], body, answer.text)
    # A whole number past int64 is no bad input: it compares as a float (JavaScript writes 3e20
    # so, and the UI's scatter selection passes it on).
    past = api.post(
        "/runs/search", json={"filter": "attributes.start_time > 99999999999999999999999"}
    )
    assert past.status_code == 200 and past.json()["runs"] == [], past.text
