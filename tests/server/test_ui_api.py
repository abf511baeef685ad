"""The native API's endpoints for the web UI (project keys, batch series, event streams),
served by the app."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from inprocess import InProcessServer
from tracklog.server.routes import run_events
from tracklog.server.routes.series_batch import BATCH_MEDIA_TYPE, MAX_SERIES
from tracklog.store.records import SeriesPoints
from tracklog.store.wire import MEDIA_TYPE, decode_series, encode_record


@pytest.fixture(autouse=True)
def _quick_events(monkeypatch: pytest.MonkeyPatch) -> None:
    # The app runs in this process, so its event streams can look for changes more often
    # than once a second: the same events, sooner.
    monkeypatch.setattr(run_events, "CHECK_S", 0.05)


def test_project_keys_cover_every_run_not_one_page(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    for i in range(3):
        config = {"opt": {"lr": 0.1}, f"only_{i}": i}
        run = api.post("/runs", json={"project": "p", "config": config}).json()
        api.post(f"/runs/{run['id']}/summary", json={"values": {f"m{i}": 1.0}})
        api.post(f"/runs/{run['id']}/tags", json={"tags": {"env": "x"}})
    api.post("/runs", json={"project": "other", "config": {"elsewhere": 1}})
    keys = api.get("/projects/p/keys").json()
    assert keys == {
        "params": ["only_0", "only_1", "only_2", "opt.lr"],
        "metrics": ["m0", "m1", "m2"],
        "tags": ["env"],
        "varying_params": ["only_0", "only_1", "only_2"],
    }
    assert api.get("/projects/p/keys", params={"lifecycle": "deleted"}).json()["params"] == []


def test_project_keys_refuse_an_unknown_project_or_lifecycle(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    api.post("/runs", json={"project": "p"})
    missing = api.get("/projects/nope/keys")
    assert missing.status_code == 404 and "nope" in missing.json()["message"]
    bad = api.get("/projects/p/keys", params={"lifecycle": "gone"})
    assert bad.status_code == 400 and "lifecycle" in bad.json()["message"]


def _log(api: httpx.Client, run_id: str, key: str, context: str, values: np.ndarray) -> None:
    n = len(values)
    points = SeriesPoints(key, context, np.arange(n), values, np.arange(n, dtype=np.int64) + 7)
    body = encode_record("append_metrics", {"run_id": run_id, "batch": [points]})
    assert api.post("/ingest", content=body, headers={"content-type": MEDIA_TYPE}).is_success


def _split_batch(body: bytes) -> list[tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = []
    at = 0
    while at < len(body):
        (n,) = struct.unpack_from("<q", body, at)
        at += 8
        if n < 0:
            out.append(None)
            continue
        out.append(decode_series(body[at : at + 24 * n]))
        at += 24 * n
    return out


def test_batch_series_match_the_single_series_endpoint(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    a = api.post("/runs", json={"project": "p"}).json()["id"]
    b = api.post("/runs", json={"project": "p"}).json()["id"]
    spiky = np.sin(np.arange(5000) / 50.0)
    spiky[3333] = 100.0  # one outlier that downsampling must keep
    _log(api, a, "loss", "", spiky)
    _log(api, a, "acc", '{"split":"val"}', np.linspace(0, 1, 300))
    _log(api, b, "loss", "", np.arange(10.0))
    query = {
        "runs": [a, b],
        "keys": [{"key": "loss"}, {"key": "acc", "context": {"split": "val"}}],
        "samples": 100,
        "min_step": 2,
        "max_step": 4000,
    }
    answer = api.post("/series/batch", json=query)
    assert answer.status_code == 200
    series = answer.json()["series"]
    assert [s and (s["run_id"], s["key"], s["context"]) for s in series] == [
        (a, "loss", None),
        (a, "acc", {"split": "val"}),
        (b, "loss", None),
        None,  # b has no acc
    ]
    single = api.get(
        f"/runs/{a}/series/loss", params={"samples": 100, "min_step": 2, "max_step": 4000}
    ).json()
    assert series[0]["steps"] == single["steps"] and series[0]["values"] == single["values"]
    assert 100.0 in series[0]["values"] and len(series[0]["steps"]) <= 100
    assert series[2]["steps"] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert series[2]["timestamps"] == [9, 10, 11, 12, 13, 14, 15, 16]

    raw = api.post("/series/batch", json=query, headers={"accept": BATCH_MEDIA_TYPE})
    assert raw.headers["content-type"] == BATCH_MEDIA_TYPE
    blocks = _split_batch(raw.content)
    assert len(blocks) == 4 and blocks[3] is None
    for block, expected in zip(blocks[:3], series[:3], strict=True):
        assert block is not None
        assert block[0].tolist() == expected["steps"]
        assert block[1].tolist() == expected["values"]
        assert block[2].tolist() == expected["timestamps"]
    whole = api.post("/series/batch", json={"runs": [b], "keys": [{"key": "loss"}]}).json()
    assert whole["series"][0]["values"] == list(np.arange(10.0))


def test_series_stats_of_several_runs_in_one_request(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    a = api.post("/runs", json={"project": "p"}).json()["id"]
    b = api.post("/runs", json={"project": "p"}).json()["id"]
    _log(api, a, "loss", "", np.arange(5.0))
    _log(api, a, "acc", '{"split":"val"}', np.arange(3.0))
    stats = api.post("/series/stats", json={"runs": [a, b]}).json()["series"]
    assert stats[b] == []
    assert [(s["key"], s["context"], s["count"], s["max"]) for s in stats[a]] == [
        ("acc", '{"split":"val"}', 3, 2.0),
        ("loss", "", 5, 4.0),
    ]
    assert stats[a] == api.get(f"/runs/{a}/series").json()["series"]
    assert api.post("/series/stats", json={"runs": []}).status_code == 400
    missing = api.post("/series/stats", json={"runs": [a, "nope"]})
    assert missing.status_code == 404 and "nope" in missing.json()["message"]


def test_bad_batch_requests_are_refused_with_a_reason(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    run = api.post("/runs", json={"project": "p"}).json()["id"]
    many = [{"key": f"k{i}"} for i in range(MAX_SERIES // 2 + 1)]
    for body, fragment in [
        ({"runs": [], "keys": [{"key": "a"}]}, "runs"),
        ({"runs": [run], "keys": []}, "keys"),
        ({"runs": [run], "keys": [{"key": ""}]}, "key"),
        ({"runs": [run], "keys": [{"key": "a"}], "samples": 3}, "samples"),
        ({"runs": [run], "keys": [{"key": "a", "context": {"s": [1]}}]}, "context"),
        ({"runs": [run, run], "keys": many}, f"at most {MAX_SERIES}"),
    ]:
        answer = api.post("/series/batch", json=body)
        assert answer.status_code == 400, body
        assert fragment in answer.json()["message"], (body, answer.json())
    missing = api.post("/series/batch", json={"runs": [run, "nope"], "keys": [{"key": "a"}]})
    assert missing.status_code == 404 and "nope" in missing.json()["message"]


def _events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """(event name, parsed data) of a server-sent events stream, as they arrive."""
    name = ""
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            yield name, json.loads(line[len("data: ") :])


def test_events_announce_series_growth_then_the_end(server: InProcessServer) -> None:
    api = server.client("/api/v1", timeout=30)
    live = api.post("/runs", json={"project": "p"}).json()["id"]
    done = api.post("/runs", json={"project": "p"}).json()["id"]
    api.post(f"/runs/{done}/finish", json={"status": "FINISHED"})
    _log(api, live, "loss", "", np.arange(5.0))
    with api.stream("GET", "/events", params={"runs": f"{live},{done}"}) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = _events(answer.iter_lines())
        seen: dict[str, Any] = {}  # at once: one event per run
        for _ in range(2):
            name, data = next(events)
            assert name == "run"
            seen[data["run"]["id"]] = data
        assert seen[done]["run"]["status"] == "FINISHED"
        assert [(s["key"], s["count"]) for s in seen[live]["series"]] == [("loss", 5)]
        _log(api, live, "acc", "", np.arange(3.0))
        name, data = next(events)
        assert name == "run" and data["run"]["id"] == live
        assert sorted((s["key"], s["count"]) for s in data["series"]) == [("acc", 3), ("loss", 5)]
        api.post(f"/runs/{live}/finish", json={"status": "FINISHED"})
        assert next(events)[1]["run"]["status"] == "FINISHED"
        assert next(events) == ("done", {})
        assert next(events, None) is None  # the stream ends


def test_project_events_announce_new_runs_and_their_changes(server: InProcessServer) -> None:
    api = server.client("/api/v1", timeout=30)
    first = api.post("/runs", json={"project": "followed"}).json()["id"]
    pid = api.get(f"/runs/{first}").json()["experiment_id"]
    at = {"id": pid, "lifecycle_stage": "active"}
    with api.stream("GET", "/events", params={"project": "followed"}) as answer:
        events = _events(answer.iter_lines())
        assert next(events) == ("project", {**at, "runs": 1, "running": [first]})
        name, data = next(events)
        assert name == "run" and data["run"]["id"] == first
        second = api.post("/runs", json={"project": "followed"}).json()["id"]
        assert next(events) == ("project", {**at, "runs": 2, "running": sorted([first, second])})
        assert next(events)[1]["run"]["id"] == second
        api.post(f"/runs/{first}/summary", json={"values": {"score": 0.5}})
        name, data = next(events)
        assert name == "run" and data["run"]["summary"] == {"score": 0.5}
        api.post(f"/runs/{first}/finish", json={"status": "FINISHED"})
        assert next(events) == ("project", {**at, "runs": 2, "running": [second]})
        assert next(events)[1]["run"]["status"] == "FINISHED"
        api.delete(f"/runs/{second}")
        assert next(events)[1]["runs"] == 1  # a run moved to the trash leaves the count


def test_a_project_stream_says_where_its_renamed_project_went(server: InProcessServer) -> None:
    api = server.client("/api/v1", timeout=30)
    mlflow = server.client("/api/2.0/mlflow", timeout=30)
    run = api.post("/runs", json={"project": "old-name"}).json()["id"]
    pid = api.get(f"/runs/{run}").json()["experiment_id"]
    with api.stream("GET", "/events", params={"project": "old-name"}) as answer:
        events = _events(answer.iter_lines())
        assert next(events)[1]["lifecycle_stage"] == "active"
        next(events)  # the running run
        mlflow.post("/experiments/delete", json={"experiment_id": str(pid)})
        assert next(events)[1]["lifecycle_stage"] == "deleted"  # in the trash, same name
        renamed = {"experiment_id": str(pid), "new_name": "new-name"}
        mlflow.post("/experiments/restore", json={"experiment_id": str(pid)})
        assert next(events)[1]["lifecycle_stage"] == "active"
        mlflow.post("/experiments/update", json=renamed).raise_for_status()
        project = {"id": pid, "name": "new-name", "lifecycle_stage": "active"}
        assert next(events) == ("done", {"project": project})
        assert next(events, None) is None  # the stream ends
    assert api.get("/events", params={"project": "old-name"}).status_code == 404


def test_bad_event_requests_are_refused_with_a_reason(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    run = api.post("/runs", json={"project": "p"}).json()["id"]
    for params, fragment in [({"runs": ","}, "1 to 100"), ({"runs": "a," * 101}, "got 101")]:
        answer = api.get("/events", params=params)
        assert answer.status_code == 400, params
        assert fragment in answer.json()["message"], (params, answer.json())
    assert api.get("/events").status_code == 400
    both = api.get("/events", params={"runs": run, "project": "p"})
    assert both.status_code == 400 and "either" in both.json()["message"]
    nowhere = api.get("/events", params={"project": "nowhere"})
    assert nowhere.status_code == 404 and "nowhere" in nowhere.json()["message"]
    missing = api.get("/events", params={"runs": f"{run},nope"})
    assert missing.status_code == 404 and "nope" in missing.json()["message"]
