"""Raw HTTP bad input to the alert, media and sweep routes: every answer is a JSON 4xx naming
what is wrong (never a 5xx), and nothing stored is lost. Who may call them is checked in
``test_authz_matrix.py`` (a second user without access is refused every one)."""

from __future__ import annotations

import pytest

from inprocess import InProcessServer
from tracklog.store import validation

DEEP = "[" * 200 + "]" * 200  # past the JSON depth limit
LONG = "k" * (validation.MAX_KEY + 1)


@pytest.fixture
def run_id(server: InProcessServer) -> str:
    with server.client("/api/v1") as c:
        run = c.post("/runs", json={"project": "bad"}).json()["id"]
        kept = {"alert_id": "kept", "title": "kept", "text": "", "level": "INFO"}
        assert c.post(f"/runs/{run}/alerts", json=kept).status_code in (200, 201)
        return str(run)


def _refused(answer_status: int, body: dict[str, object], word: str) -> None:
    assert 400 <= answer_status < 500, body
    assert word.lower() in str(body).lower(), body


def test_alerts(server: InProcessServer, run_id: str) -> None:
    good = {"alert_id": "a2", "title": "t", "text": "x", "level": "INFO"}
    cases = [
        ({**good, "level": "LOUD"}, "level"),
        ({**good, "title": "t" * 65}, "title"),
        ({**good, "title": 5}, "title"),
        ({**good, "alert_id": ""}, "alert id"),
        ({**good, "alert_id": "x" * 65}, "alert id"),
        ({**good, "text": "x" * (validation.MAX_ALERT_TEXT + 1)}, "text"),
        ({**good, "time_ms": "soon"}, "time"),
        ({"title": "no id"}, "alert_id"),
    ]
    with server.client("/api/v1") as c:
        for body, word in cases:
            answer = c.post(f"/runs/{run_id}/alerts", json=body)
            _refused(answer.status_code, answer.json(), word)
        deep = c.post(
            f"/runs/{run_id}/alerts",
            content='{"alert_id": ' + DEEP + "}",
            headers={"content-type": "application/json"},
        )
        _refused(deep.status_code, deep.json(), "deep")
        gone = c.post("/runs/nope/alerts", json=good)
        _refused(gone.status_code, gone.json(), "no run")
        assert [a["title"] for a in c.get(f"/runs/{run_id}/alerts").json()["alerts"]] == ["kept"]


def test_media_queries(server: InProcessServer, run_id: str) -> None:
    with server.client("/api/v1") as c:
        for path, params, word in [
            (f"/runs/{run_id}/media", {"context": DEEP}, "deep"),
            (f"/runs/{run_id}/histograms", {"key": "h", "context": '{"a": [1]}'}, "context"),
        ]:
            answer = c.get(path, params=params)
            _refused(answer.status_code, answer.json(), word)
        # A key no value can have (too long to store) is answered truthfully: nothing.
        assert c.get(f"/runs/{run_id}/media", params={"key": LONG}).json() == {"media": []}


def test_sweeps(server: InProcessServer) -> None:
    grid = {"method": "grid", "parameters": {"x": {"values": [1, 2]}}}
    with server.client("/api/v1") as c:
        for body, word in [
            ({"project": "s"}, "config"),
            ({"project": "s", "config": "grid"}, "config"),
            ({"project": "s", "config": {"method": "annealing", "parameters": {}}}, "method"),
            ({"project": "", "config": grid}, "project"),
            ({"project": "s", "config": grid, "name": "n" * 1000}, "name"),
            ({"project": "s", "config": {**grid, "deep": {"a": {"b": {"c": DEEP}}}}}, "config"),
        ]:
            answer = c.post("/sweeps", json=body)
            _refused(answer.status_code, answer.json(), word)
        deep = c.post(
            "/sweeps",
            content='{"project": "s", "config": ' + DEEP + "}",
            headers={"content-type": "application/json"},
        )
        _refused(deep.status_code, deep.json(), "deep")
        for params, word in [({}, "project"), ({"project": "nope"}, "nope")]:
            answer = c.get("/sweeps", params=params)
            _refused(answer.status_code, answer.json(), word)
        missing = c.get("/sweeps/nope")
        _refused(missing.status_code, missing.json(), "no sweep")
        assert c.get("/sweeps", params={"project": "s"}).status_code in (200, 404)
