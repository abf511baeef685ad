"""The native API's endpoints for the web UI (project keys, batch series), against a real
server."""

from __future__ import annotations

import httpx

from server_process import ServerProcess


def test_project_keys_cover_every_run_not_one_page(server: ServerProcess) -> None:
    api = httpx.Client(base_url=f"{server.url}/api/v1")
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
    }
    assert api.get("/projects/p/keys", params={"lifecycle": "deleted"}).json()["params"] == []


def test_project_keys_refuse_an_unknown_project_or_lifecycle(server: ServerProcess) -> None:
    api = httpx.Client(base_url=f"{server.url}/api/v1")
    api.post("/runs", json={"project": "p"})
    missing = api.get("/projects/nope/keys")
    assert missing.status_code == 404 and "nope" in missing.json()["message"]
    bad = api.get("/projects/p/keys", params={"lifecycle": "gone"})
    assert bad.status_code == 400 and "lifecycle" in bad.json()["message"]
