"""Sweeps through a server: ``tracklog.sweep``/``tracklog.agent`` and ``tracklog agent``
against ``/api/v1/sweeps`` (in this process, and four agent processes on a real server),
permissions (EDIT to create and to run trials, READ to look) and bad input."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import tracklog
from inprocess import InProcessServer
from server_process import ServerProcess
from tracklog.client.remote import RemoteStore
from tracklog.client.sweeps import RemoteSweeps
from tracklog.sdk import current, stores
from tracklog.server.app import create_app
from tracklog.server.settings import Settings

GRID = {
    "method": "grid",
    "metric": {"name": "loss"},
    "parameters": {"x": {"values": [1, 2, 3]}},
}


@pytest.fixture
def remote(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    monkeypatch.setattr(stores, "_tracking_uri", server.url)
    monkeypatch.chdir(tmp_path)
    yield server.url
    for run in list(current.runs):
        run.finish()


def test_function_mode_through_a_server(remote: str) -> None:
    def train() -> None:
        run = tracklog.init()
        run.log({"loss": run.config["x"] * 2.0})
        run.finish()

    sweep_id = tracklog.sweep(GRID, project="remote-sweep")
    tracklog.agent(sweep_id, function=train)
    sweeps = RemoteSweeps(RemoteStore(remote))
    trials = sweeps.trials(sweep_id)
    assert [(t.params["x"], t.status, t.metric) for t in trials] == [
        (1, "FINISHED", 2.0),
        (2, "FINISHED", 4.0),
        (3, "FINISHED", 6.0),
    ]
    assert sweeps.sweep(sweep_id).status == "FINISHED"
    run = sweeps.store.get_run(trials[0].run_id or "")
    assert run.project == "remote-sweep" and run.tags["sweep_id"] == sweep_id


def test_bad_input_is_a_4xx_naming_what(remote: str) -> None:
    sweeps = RemoteSweeps(RemoteStore(remote))
    with pytest.raises(tracklog.InvalidValueError, match=r"parameters\.x\.values"):
        sweeps.create_sweep("p", {"method": "grid", "parameters": {"x": {"values": []}}})
    sweep_id = sweeps.create_sweep("p", GRID).id
    with pytest.raises(tracklog.InvalidValueError, match="run id"):
        sweeps.claim_trial(sweep_id, 0, {"x": 1}, "bad id!", {})
    with pytest.raises(tracklog.InvalidValueError, match="trial number"):
        sweeps.claim_trial(sweep_id, -1, {"x": 1}, "r0", {})
    with pytest.raises(tracklog.InvalidValueError, match="action must be one of"):
        sweeps.control(sweep_id, "explode")
    with pytest.raises(tracklog.NotFoundError, match="no sweep"):
        sweeps.sweep("missing")
    assert sweeps.claim_trial(sweep_id, 0, {"x": 1}, "r0", {}).outcome == "claimed"
    sweeps.request_stop(sweep_id, 0, "behind")
    assert sweeps.heartbeat(sweep_id, 0, "r0") == "behind"
    assert sweeps.end_trial(sweep_id, 0, "r0", "STOPPED", float("nan"))
    assert sweeps.trials(sweep_id)[0].metric is None  # NaN: no metric
    with pytest.raises(tracklog.InvalidValueError, match="status must be one of"):
        sweeps.end_trial(sweep_id, 0, "r0", "DONE")
    with pytest.raises(tracklog.NotFoundError, match="no trial 7"):
        sweeps.heartbeat(sweep_id, 7, "r0")


def test_listing_a_projects_sweeps(server: InProcessServer) -> None:
    sweeps = RemoteSweeps(RemoteStore(server.url))
    first = sweeps.create_sweep("listed", GRID, name="first").id
    second = sweeps.create_sweep("listed", GRID, name="second").id
    sweeps.create_sweep("elsewhere", GRID)
    with server.client() as client:
        answer = client.get("/api/v1/sweeps", params={"project": "listed"})
        assert answer.status_code == 200, answer.text
        listed = answer.json()["sweeps"]
        assert {s["id"] for s in listed} == {first, second}
        assert {s["project"] for s in listed} == {"listed"}
        assert listed[0]["created_at"] >= listed[1]["created_at"]
        missing = client.get("/api/v1/sweeps", params={"project": "nowhere"})
        assert missing.status_code == 404 and "nowhere" in missing.json()["message"]
        unnamed = client.get("/api/v1/sweeps")
        assert unnamed.status_code == 400 and "project" in unnamed.text


def _headers(app: Any, user: str) -> dict[str, str]:
    return {"authorization": f"Bearer {app.state.auth.create_token(user, 't').secret}"}


def test_creating_and_running_a_sweep_needs_edit(store_uri: str, tmp_path: Path) -> None:
    settings = Settings(
        backend_store_uri=store_uri, artifacts_destination=str(tmp_path / "a"), auth=True
    )
    app = create_app(settings)
    with TestClient(app) as client:
        for user in ("alice", "reader", "editor"):
            app.state.auth.create_user(user, None)
        alice, reader, editor = (_headers(app, u) for u in ("alice", "reader", "editor"))
        body = {"project": "tuning", "config": GRID}
        made = client.post("/api/v1/sweeps", json=body, headers=alice)
        assert made.status_code == 201, made.text
        sweep = made.json()["id"]
        app.state.auth.grant("reader", "tuning", "READ")
        app.state.auth.grant("editor", "tuning", "EDIT")
        claim = {"number": 0, "params": {"x": 1}, "run_id": "r0", "owner": {}}
        assert client.post("/api/v1/sweeps", json=body, headers=reader).status_code == 403
        assert client.get(f"/api/v1/sweeps/{sweep}", headers=reader).status_code == 200
        listing = client.get("/api/v1/sweeps", params={"project": "tuning"}, headers=reader)
        assert [s["id"] for s in listing.json()["sweeps"]] == [sweep]
        app.state.auth.create_user("outsider", None)
        outsider = _headers(app, "outsider")
        refused = client.get("/api/v1/sweeps", params={"project": "tuning"}, headers=outsider)
        assert refused.status_code in (403, 404)
        refused = client.post(f"/api/v1/sweeps/{sweep}/claims", json=claim, headers=reader)
        assert refused.status_code == 403
        control = {"action": "pause"}
        refused = client.post(f"/api/v1/sweeps/{sweep}/control", json=control, headers=reader)
        assert refused.status_code == 403
        claimed = client.post(f"/api/v1/sweeps/{sweep}/claims", json=claim, headers=editor)
        assert claimed.status_code == 200 and claimed.json()["outcome"] == "claimed"
        assert client.post("/api/v1/sweeps", json=body, headers=editor).status_code == 201


@pytest.mark.slow
def test_four_agent_processes_through_a_real_server_one_killed(
    store_uri: str,
    server_factory: Callable[..., ServerProcess],
    tmp_path: Path,
    child_env: dict[str, str],
) -> None:
    server = server_factory(store_uri)
    env = {**child_env, "TRACKLOG_URI": server.url, "TRACKLOG_CAPTURE": "0"}
    (tmp_path / "train.py").write_text("print('trial')\n")
    (tmp_path / "sweep.yaml").write_text(
        "program: train.py\nmethod: grid\nparameters:\n"
        "  a: {values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}\n  b: {min: 0, max: 9}\n"
    )
    cli = [sys.executable, "-c", "from tracklog.cli.main import main; main()"]
    made = subprocess.run(
        [*cli, "sweep", "sweep.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    sweep_id = made.stdout.split()[2]
    agents = [
        subprocess.Popen(
            [*cli, "agent", sweep_id],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    victim = agents[0]  # killed after its first trial: its trial is handed out again
    assert victim.stdout is not None
    victim.stdout.readline()
    victim.kill()
    victim.wait()
    for agent in agents[1:]:
        _, err = agent.communicate(timeout=240)
        assert agent.returncode == 0, err
    trials = RemoteSweeps(RemoteStore(server.url)).trials(sweep_id)
    assert len(trials) == 100
    assert len({(t.params["a"], t.params["b"]) for t in trials}) == 100
    assert {t.status for t in trials} == {"FINISHED"}
