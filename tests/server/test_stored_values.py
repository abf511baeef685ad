"""The server refuses JSON values nested past ``MAX_JSON_DEPTH`` and over-long text with a
400 naming the key; values stored deep before the limit existed never make a read fail; and
listings (search, the runs page, event streams, MLflow's search) ship long text abridged."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from inprocess import InProcessServer
from tracklog.store import schema
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.stored_json import DEEP_MARKER, MAX_LISTED_TEXT
from tracklog.store.tracking import Store
from tracklog.store.validation import MAX_JSON_DEPTH, MAX_JSON_STRING, MAX_NOTES
from tracklog.store.wire import FRAME, MEDIA_TYPE, encode_record

MLFLOW = "/api/2.0/mlflow"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


def _deep_text(depth: int) -> str:
    return '{"k": ' * depth + "1" + "}" * depth  # json.dumps itself would overflow


def _refused(answer: httpx.Response, *words: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "INVALID_VALUE"
    assert all(w in answer.json()["message"] for w in words), answer.text


@pytest.fixture
def api(server: InProcessServer) -> httpx.Client:
    return server.client(timeout=60)


def test_values_past_the_depth_limit_are_400_naming_the_key(api: httpx.Client) -> None:
    run = api.post("/api/v1/runs", json={"project": "p"}).json()["id"]
    too_deep, at_limit = _nested(MAX_JSON_DEPTH + 1), _nested(MAX_JSON_DEPTH)
    limit = f"more than {MAX_JSON_DEPTH}"
    _refused(api.post("/api/v1/runs", json={"project": "p", "config": {"x": too_deep}}), "x", limit)
    _refused(api.post(f"/api/v1/runs/{run}/config", json={"updates": {"x": too_deep}}), "x", limit)
    _refused(api.post(f"/api/v1/runs/{run}/summary", json={"values": {"x": too_deep}}), "x", limit)
    _refused(api.patch(f"/api/v1/runs/{run}", json={"metadata": {"x": too_deep}}), "x", limit)
    record = encode_record("set_summary", {"run_id": run, "values": {"x": too_deep}})
    answer = api.post("/api/v1/ingest", content=record, headers={"content-type": MEDIA_TYPE})
    _refused(answer, "x", limit)
    # A record too deep for the JSON decoder itself is refused the same way.
    header = f'{{"op": "set_summary", "args": {{"run_id": "{run}", "values": {{"x": '
    payload = (header + _deep_text(3000) + "}}}\n").encode()
    framed = FRAME.pack(len(payload), zlib.crc32(payload)) + payload
    answer = api.post("/api/v1/ingest", content=framed, headers={"content-type": MEDIA_TYPE})
    _refused(answer, "malformed record", "nested too deep")
    assert api.post(f"/api/v1/runs/{run}/summary", json={"values": {"x": at_limit}}).is_success
    assert api.get(f"/api/v1/runs/{run}").json()["summary"]["x"] == at_limit
    long = "s" * (MAX_JSON_STRING + 1)
    _refused(api.post(f"/api/v1/runs/{run}/summary", json={"values": {"s": long}}), "s", "limit")
    _refused(api.patch(f"/api/v1/runs/{run}", json={"metadata": {"m": [long]}}), "m", "limit")
    notes = "n" * (MAX_NOTES + 1)
    _refused(api.patch(f"/api/v1/runs/{run}", json={"notes": notes}), "notes", str(MAX_NOTES))
    assert api.get(f"/api/v1/runs/{run}").json()["notes"] is None


@pytest.mark.parametrize("depth", [500, 3000])
def test_values_stored_deep_before_the_limit_never_fail_a_read(
    api: httpx.Client, store_uri: str, tmp_path: Path, depth: int
) -> None:
    run = api.post("/api/v1/runs", json={"project": "deep", "config": {"lr": 0.1}}).json()["id"]
    assert api.post(f"/api/v1/runs/{run}/summary", json={"values": {"x": 1}}).is_success
    deep = _deep_text(depth)
    store = Store(StoreLocation(resolve(store_uri).db_url, str(tmp_path / "artifacts")))
    with store.engine.begin() as conn:  # as a server before the limit could have stored it
        runs, summary = schema.runs, schema.run_summary
        values = {"config": f'{{"lr": 0.1, "x": {deep}}}', "run_metadata": f'{{"m": {deep}}}'}
        conn.execute(update(runs).where(runs.c.id == run).values(**values))
        conn.execute(update(summary).where(summary.c.run_id == run).values(value_json=deep))
    store.close()

    def marked(found: dict[str, Any]) -> None:
        assert found["config"]["lr"] == 0.1 and DEEP_MARKER in json.dumps(found["summary"])

    marked(api.get(f"/api/v1/runs/{run}").json())
    for body in ({"projects": ["deep"]}, {}):
        answer = api.post("/api/v1/runs/search", json=body)
        assert answer.status_code == 200, answer.text
        marked(answer.json()["runs"][0])
        answer = api.post("/api/v1/runs/page", json=body)
        assert answer.status_code == 200, answer.text
        marked(answer.json()["runs"][0])
    marked(_first_run_event(api, "deep"))
    exp = api.get(f"{MLFLOW}/experiments/get-by-name", params={"experiment_name": "deep"})
    exp_id = exp.json()["experiment"]["experiment_id"]
    found = api.post(f"{MLFLOW}/runs/search", json={"experiment_ids": [exp_id]})
    assert found.status_code == 200 and found.json()["runs"][0]["info"]["run_id"] == run
    assert api.get(f"{MLFLOW}/runs/get", params={"run_id": run}).status_code == 200
    assert api.get(f"/api/v1/runs/{run}/config/history").status_code == 200


def _first_run_event(api: httpx.Client, project: str) -> dict[str, Any]:
    """The run of the first ``run`` event of the project's event stream."""
    with api.stream("GET", "/api/v1/events", params={"project": project}) as stream:
        assert stream.status_code == 200
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: ") and event == "run":
                return json.loads(line[len("data: ") :])["run"]
    raise AssertionError("the stream ended without a run event")


def test_listings_abridge_long_text_and_the_run_has_it_whole(api: httpx.Client) -> None:
    long = "L" * (MAX_LISTED_TEXT * 3)
    created = api.post(
        "/api/v1/runs", json={"project": "long", "notes": long, "config": {"c": long}}
    )
    run = created.json()["id"]
    assert api.post(f"/api/v1/runs/{run}/summary", json={"values": {"s": [long]}}).is_success
    assert api.patch(f"/api/v1/runs/{run}", json={"metadata": {"m": {"x": long}}}).is_success
    whole = api.get(f"/api/v1/runs/{run}").json()
    assert whole["notes"] == long and whole["config"]["c"] == long
    assert whole["summary"]["s"] == [long] and whole["metadata"]["m"]["x"] == long

    marker = f"… [cut: {len(long)} characters in all]"
    cut = long[:MAX_LISTED_TEXT] + marker

    def abridged(found: dict[str, Any]) -> None:
        assert found["notes"] == cut and found["config"]["c"] == cut
        assert found["summary"]["s"] == [cut] and found["metadata"]["m"]["x"] == cut

    abridged(api.post("/api/v1/runs/search", json={"projects": ["long"]}).json()["runs"][0])
    abridged(api.post("/api/v1/runs/page", json={"projects": ["long"]}).json()["runs"][0])
    abridged(_first_run_event(api, "long"))
    exp = api.get(f"{MLFLOW}/experiments/get-by-name", params={"experiment_name": "long"})
    exp_id = exp.json()["experiment"]["experiment_id"]

    def note(found: dict[str, Any]) -> str:
        tags = {t["key"]: t["value"] for t in found["data"]["tags"]}
        return tags["mlflow.note.content"]

    listed = api.post(f"{MLFLOW}/runs/search", json={"experiment_ids": [exp_id]}).json()
    assert note(listed["runs"][0]) == cut
    assert note(api.get(f"{MLFLOW}/runs/get", params={"run_id": run}).json()["run"]) == long
