"""Limits of the server (its app, set up as ``tracklog server``'s options would): request size,
records per request, points per batch, key and value lengths; each a 4xx naming the limit, and
bad input never a 5xx. Every documented limit is sent at the limit (accepted) and one past it
(refused)."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest

from inprocess import in_process_server
from tracklog.errors import InvalidValueError
from tracklog.server.mlflow_api.logging import MAX_ENTITIES, MAX_METRICS, MAX_PARAMS, MAX_TAGS
from tracklog.server.mlflow_api.registry import MAX_MODELS, MAX_VERSIONS
from tracklog.server.routes.run_events import MAX_RUNS
from tracklog.server.routes.run_pages import MAX_PAGE
from tracklog.server.routes.series_batch import MAX_SERIES
from tracklog.store.artifacts import MAX_PATH, MAX_PATH_PART
from tracklog.store.auth import AuthStore
from tracklog.store.mlflow.multipart import MAX_PARTS
from tracklog.store.records import SeriesPoints
from tracklog.store.search_parse import MAX_SEARCH_PROJECTS
from tracklog.store.tracking import Store
from tracklog.store.validation import (
    MAX_ALERT_TEXT,
    MAX_ALERT_TITLE,
    MAX_KEY,
    MAX_NAME,
    MAX_PARAM_VALUE,
    MAX_PASSWORD,
    MAX_TAG_VALUE,
    MIN_PASSWORD,
)
from tracklog.store.wire import MEDIA_TYPE, encode_record

RECORDS = {"content-type": MEDIA_TYPE}
MAX_BODY, MAX_POINTS, MAX_RECORDS = 200_000, 10, 3
MAX_ARTIFACT = 300_000  # more than MAX_BODY: uploads have their own limit
MAX_RUN_ID = 32


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
    """A client of one app per database with small limits."""
    folder = tmp_path_factory.mktemp("limits")
    if request.param == "sqlite":
        uri = f"sqlite:///{folder}/tracklog.db"
    else:
        uri = request.getfixturevalue("postgres_uri_factory")()
    limits = {"max_body_bytes": MAX_BODY, "max_batch_points": MAX_POINTS}
    limits |= {"max_records": MAX_RECORDS, "max_artifact_bytes": MAX_ARTIFACT}
    with in_process_server(uri, folder / "artifacts", **limits) as server:
        # A generous timeout: a loaded CI machine can take seconds over the largest requests.
        yield server.client("/api/v1", timeout=120)


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
        _raw("add_alert", {"run_id": run_id, "alert_id": "a", "title": "t", "text": 5}),
        _raw(
            "add_alert",
            {"run_id": run_id, "alert_id": "b", "title": "t", "text": "", "level": "LOUD"},
        ),
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
        ("post", f"/runs/{run_id}/alerts", {"alert_id": "a", "title": "t", "level": "LOUD"}),
        ("post", f"/runs/{run_id}/alerts", {"alert_id": "", "title": "t"}),
        ("post", f"/runs/{run_id}/alerts", {"alert_id": "a", "title": "t", "time_ms": 2**70}),
        ("post", f"/runs/{run_id}/alerts", {"alert_id": "a", "title": ["t"]}),
        ("post", "/runs/nosuchrun/alerts", {"alert_id": "a", "title": "t"}),
        ("get", "/runs/nosuchrun/alerts", None),
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


@dataclass(frozen=True)
class Limit:
    """A documented limit: ``send(api, run, n)`` makes a request of size ``n``; at ``limit``
    it is accepted, at ``limit + 1`` refused with ``status`` and a message holding ``words``."""

    send: Callable[[httpx.Client, dict[str, Any], int], httpx.Response]
    limit: int
    status: int
    words: tuple[str, ...]


def _root(api: httpx.Client) -> str:
    """The server's address, for the routes outside /api/v1."""
    return str(api.base_url).split("/api/v1")[0]


def _padded(value: Any, size: int) -> bytes:
    """``value`` as JSON of exactly ``size`` bytes (white space after it)."""
    raw = json.dumps(value).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def _artifact_path(size: int) -> str:
    """A path of exactly ``size`` characters, each name well under the per-name limit."""
    return ("d" * 99 + "/") * (size // 100) + "f" * (size % 100)


def _name_of_bytes(size: int) -> str:
    """A file name of ``size`` UTF-8 bytes in about half as many characters."""
    return "é" * (size // 2) + "a" * (size % 2)


def _native(method: str, url: str, body: Callable[[int], Any]) -> Callable[..., httpx.Response]:
    """A native request (``{run}`` in ``url`` is the run's id) with the JSON body ``body(n)``."""

    def send(api: httpx.Client, run: dict[str, Any], n: int) -> httpx.Response:
        return api.request(method, url.format(run=run["id"]), json=body(n))

    return send


def _log_batch(metrics: int, params: int, tags: int) -> Callable[..., httpx.Response]:
    """MLflow's log-batch with so many metrics, params and tags; the count given as -1 is n."""

    def send(api: httpx.Client, run: dict[str, Any], n: int) -> httpx.Response:
        m, p, t = (n if c == -1 else c for c in (metrics, params, tags))
        body = {
            "run_id": run["id"],
            "metrics": [
                {"key": f"m{i}", "value": 1.0, "timestamp": 0, "step": 0} for i in range(m)
            ],
            "params": [{"key": f"p{i}", "value": "1"} for i in range(p)],
            "tags": [{"key": f"t{i}", "value": "1"} for i in range(t)],
        }
        return api.post(f"{_root(api)}/api/2.0/mlflow/runs/log-batch", json=body)

    return send


def _events(api: httpx.Client, run: dict[str, Any], n: int) -> httpx.Response:
    """The head of an event stream following the run n times (a stream lasts 30 s: not read)."""
    with api.stream("GET", "/events", params={"runs": ",".join([run["id"]] * n)}) as answer:
        if not answer.is_success:
            answer.read()
        return answer


def _mlflow_page(route: str) -> Callable[..., httpx.Response]:
    def send(api: httpx.Client, run: dict[str, Any], n: int) -> httpx.Response:
        return api.get(f"{_root(api)}/api/2.0/mlflow/{route}", params={"max_results": n})

    return send


LIMITS: dict[str, Limit] = {
    "request-body": Limit(
        lambda api, run, n: api.post(
            f"/runs/{run['id']}/tags",
            content=_padded({"tags": {"t": "v"}}, n),
            headers={"content-type": "application/json"},
        ),
        MAX_BODY,
        413,
        ("--max-body-bytes", str(MAX_BODY)),
    ),
    "artifact-bytes": Limit(
        lambda api, run, n: api.put(f"/runs/{run['id']}/artifacts/big.bin", content=b"x" * n),
        MAX_ARTIFACT,
        413,
        ("--max-artifact-bytes", str(MAX_ARTIFACT)),
    ),
    "mlflow-artifact-bytes": Limit(
        lambda api, run, n: api.put(
            f"{_root(api)}/api/2.0/mlflow-artifacts/artifacts/"
            f"{run['experiment_id']}/{run['id']}/artifacts/big.bin",
            content=b"x" * n,
        ),
        MAX_ARTIFACT,
        413,
        ("--max-artifact-bytes",),
    ),
    "project-name": Limit(
        _native("POST", "/runs", lambda n: {"project": "p" * n}), MAX_NAME, 400, (str(MAX_NAME),)
    ),
    "run-name": Limit(
        _native("PATCH", "/runs/{run}", lambda n: {"name": "n" * n}), MAX_NAME, 400, ("256",)
    ),
    "run-id": Limit(
        _native("POST", "/runs", lambda n: {"project": "limits", "run_id": "r" * n}),
        MAX_RUN_ID,
        400,
        ("1-32",),
    ),
    "tag-key": Limit(
        _native("POST", "/runs/{run}/tags", lambda n: {"tags": {"k" * n: "v"}}),
        MAX_KEY,
        400,
        (str(MAX_KEY),),
    ),
    "tag-value": Limit(
        _native("POST", "/runs/{run}/tags", lambda n: {"tags": {"k": "v" * n}}),
        MAX_TAG_VALUE,
        400,
        (str(MAX_TAG_VALUE),),
    ),
    "config-key": Limit(
        _native("POST", "/runs/{run}/config", lambda n: {"updates": {"k" * n: 1}}),
        MAX_KEY,
        400,
        (str(MAX_KEY),),
    ),
    "param-value": Limit(
        _native("POST", "/runs/{run}/config", lambda n: {"updates": {"k": "v" * n}}),
        MAX_PARAM_VALUE,
        400,
        (str(MAX_PARAM_VALUE),),
    ),
    "summary-key": Limit(
        _native("POST", "/runs/{run}/summary", lambda n: {"values": {"k" * n: 1}}),
        MAX_KEY,
        400,
        (str(MAX_KEY),),
    ),
    "label": Limit(
        _native("POST", "/runs/{run}/labels", lambda n: {"labels": ["l" * n]}),
        MAX_KEY,
        400,
        (str(MAX_KEY),),
    ),
    "metric-key": Limit(
        lambda api, run, n: api.post(
            "/ingest",
            content=_points(run["id"], 2, key="m" * n, batch_id=f"key-{n}"),
            headers=RECORDS,
        ),
        MAX_KEY,
        400,
        (str(MAX_KEY), "metric key"),
    ),
    "artifact-path": Limit(
        lambda api, run, n: api.put(
            f"/runs/{run['id']}/artifacts/{_artifact_path(n)}", content=b"x"
        ),
        MAX_PATH,
        400,
        (str(MAX_PATH),),
    ),
    "artifact-name-bytes": Limit(
        lambda api, run, n: api.put(
            f"/runs/{run['id']}/artifacts/{quote(_name_of_bytes(n))}", content=b"x"
        ),
        MAX_PATH_PART,
        400,
        (str(MAX_PATH_PART),),
    ),
    "multipart-parts": Limit(
        lambda api, run, n: api.post(
            f"{_root(api)}/api/2.0/mlflow-artifacts/mpu/create/"
            f"{run['experiment_id']}/{run['id']}/artifacts/d",
            json={"path": "f.bin", "num_parts": n},
        ),
        MAX_PARTS,
        400,
        (str(MAX_PARTS),),
    ),
    "log-batch-metrics": Limit(_log_batch(-1, 0, 0), MAX_METRICS, 400, (str(MAX_METRICS),)),
    "log-batch-params": Limit(_log_batch(0, -1, 0), MAX_PARAMS, 400, (str(MAX_PARAMS),)),
    "log-batch-tags": Limit(_log_batch(0, 0, -1), MAX_TAGS, 400, (str(MAX_TAGS),)),
    "log-batch-total": Limit(
        _log_batch(-1, MAX_PARAMS, MAX_TAGS),
        MAX_ENTITIES - MAX_PARAMS - MAX_TAGS,
        400,
        (str(MAX_ENTITIES), "in total"),
    ),
    "runs-page": Limit(
        _native("POST", "/runs/page", lambda n: {"limit": n}), MAX_PAGE, 400, ("limit",)
    ),
    "search-projects": Limit(
        _native("POST", "/runs/search", lambda n: {"projects": ["limits"] * n}),
        MAX_SEARCH_PROJECTS,
        400,
        ("projects", str(MAX_SEARCH_PROJECTS)),
    ),
    "page-projects": Limit(
        _native("POST", "/runs/page", lambda n: {"projects": ["limits"] * n}),
        MAX_SEARCH_PROJECTS,
        400,
        ("projects", str(MAX_SEARCH_PROJECTS)),
    ),
    "series-batch": Limit(
        lambda api, run, n: api.post(
            "/series/batch",
            json={"runs": [run["id"]], "keys": [{"key": f"k{i}"} for i in range(n)]},
        ),
        MAX_SERIES,
        400,
        (f"at most {MAX_SERIES}",),
    ),
    "event-stream-runs": Limit(_events, MAX_RUNS, 400, (f"1 to {MAX_RUNS}",)),
    "alert-title": Limit(
        _native("POST", "/runs/{run}/alerts", lambda n: {"alert_id": f"t{n}", "title": "t" * n}),
        MAX_ALERT_TITLE,
        400,
        ("alert title", str(MAX_ALERT_TITLE)),
    ),
    "alert-text": Limit(
        _native(
            "POST",
            "/runs/{run}/alerts",
            lambda n: {"alert_id": f"x{n}", "title": "t", "text": "x" * n},
        ),
        MAX_ALERT_TEXT,
        400,
        ("alert text", str(MAX_ALERT_TEXT)),
    ),
    "registered-models-page": Limit(
        _mlflow_page("registered-models/search"), MAX_MODELS, 400, (str(MAX_MODELS),)
    ),
    "model-versions-page": Limit(
        _mlflow_page("model-versions/search"), MAX_VERSIONS, 400, (str(MAX_VERSIONS),)
    ),
}


@pytest.mark.parametrize("name", LIMITS)
def test_each_limit_accepts_its_value_and_refuses_one_more(
    api: httpx.Client, run_id: str, name: str
) -> None:
    limit = LIMITS[name]
    run = api.get(f"/runs/{run_id}").json()
    at = limit.send(api, run, limit.limit)
    assert at.is_success, (name, at.status_code, at.text[:300])
    past = limit.send(api, run, limit.limit + 1)
    assert _refused(past, limit.status, *limit.words), (name, past.status_code, past.text[:300])


def test_password_length_limits(store: Store) -> None:
    auth = AuthStore(store)
    for n, name in ((MIN_PASSWORD, "shortest"), (MAX_PASSWORD, "longest")):
        auth.create_user(name, "p" * n)
        assert auth.verify_password(name, "p" * n).name == name
    for n in (MIN_PASSWORD - 1, MAX_PASSWORD + 1):
        with pytest.raises(InvalidValueError, match=f"{MIN_PASSWORD} to {MAX_PASSWORD}"):
            auth.create_user(f"u{n}", "p" * n)
        with pytest.raises(InvalidValueError, match=f"{MIN_PASSWORD} to {MAX_PASSWORD}"):
            auth.set_password("shortest", "p" * n)
