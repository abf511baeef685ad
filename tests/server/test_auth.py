"""``tracklog server --auth``, on SQLite and PostgreSQL: credentials, permissions per project,
the creator's MANAGE, admins, filtered search (the app in this process), and no secret in the
logs (a real process, whose output is read)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np
import pytest
from argon2 import PasswordHasher

from inprocess import InProcessServer, in_process_server
from server_process import ServerProcess
from tracklog.store import auth as auth_module
from tracklog.store.auth import AuthStore
from tracklog.store.clock import now_ms
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store
from tracklog.store.wire import MEDIA_TYPE, encode_record

PASSWORD = "alice's long password"
USERS = {"root": True, "alice": False, "reader": False, "editor": False, "outsider": False}


@dataclass
class AuthServer:
    server: InProcessServer
    auth: AuthStore
    tokens: dict[str, str]

    def api(self, user: str | None = None, **headers: str) -> httpx.Client:
        """A client of /api/v1 sending ``user``'s token (none for ``user=None``)."""
        if user is not None:
            headers["authorization"] = f"Bearer {self.tokens[user]}"
        return self.server.client("/api/v1", headers=headers)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _cheap_hasher() -> PasswordHasher:
    # The real costs take ~0.5 s a hash here; the server verifies with the hash's own costs.
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def authed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthServer]:
    """One ``--auth`` app per database for this module; users made through the store."""
    folder = tmp_path_factory.mktemp("auth")
    if request.param == "sqlite":
        uri = f"sqlite:///{folder}/tracklog.db"
    else:
        uri = request.getfixturevalue("postgres_uri_factory")()
    store = Store(StoreLocation(resolve(uri).db_url, str(folder / "artifacts")))
    auth = AuthStore(store)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_module, "_hasher", _cheap_hasher())
        for name, admin in USERS.items():
            auth.create_user(name, PASSWORD if name == "alice" else None, admin=admin)
    tokens = {name: auth.create_token(name, "tests").secret for name in USERS}
    with in_process_server(uri, folder / "artifacts", auth=True) as server:
        yield AuthServer(server, auth, tokens)
    store.close()


def _ingest(api: httpx.Client, *records: bytes) -> httpx.Response:
    return api.post("/ingest", content=b"".join(records), headers={"content-type": MEDIA_TYPE})


def _points(run_id: str, batch_id: str) -> bytes:
    points = SeriesPoints("loss", "", np.arange(3), np.ones(3), np.arange(3, dtype=np.int64))
    return encode_record(
        "append_metrics", {"run_id": run_id, "batch": [points], "batch_id": batch_id}
    )


def _denied(answer: httpx.Response, *words: str) -> bool:
    body = answer.json()
    return (
        answer.status_code == 403
        and body["error"] == "PERMISSION_DENIED"
        and all(w in body["message"] for w in words)
    )


def test_health_is_open_and_the_api_needs_valid_credentials(authed: AuthServer) -> None:
    assert authed.server.client().get("/health").json() == {"status": "ok"}
    revoked = authed.auth.create_token("alice", "to revoke")
    authed.auth.revoke_token(revoked.info.id)
    for header in (
        None,
        "Bearer tlk_not-a-real-token",
        f"Bearer {revoked.secret}",
        _basic("alice", "wrong password"),
        _basic("nobody", PASSWORD),
        _basic("alice", revoked.secret),
        "Basic !!!not-base64",
        f"Token {authed.tokens['alice']}",
    ):
        headers = {"authorization": header} if header else {}
        answer = authed.api(**headers).get("/projects")
        assert answer.status_code == 401, header
        assert answer.json()["error"] == "UNAUTHENTICATED"
        assert "Basic" in answer.headers["www-authenticate"]


def test_bearer_basic_and_a_token_as_basic_password_are_accepted(authed: AuthServer) -> None:
    token = authed.tokens["alice"]
    for header in (
        f"Bearer {token}",
        _basic("alice", PASSWORD),
        _basic("alice", token),  # MLFLOW_TRACKING_PASSWORD=<token>
    ):
        assert authed.api(authorization=header).get("/projects").status_code == 200, header


def test_an_expired_token_is_refused_naming_its_expiry(authed: AuthServer) -> None:
    later = authed.auth.create_token("alice", "long-lived", expires_at=now_ms() + 3_600_000)
    assert authed.api(authorization=f"Bearer {later.secret}").get("/projects").status_code == 200
    soon = authed.auth.create_token("alice", "short-lived", expires_at=now_ms() + 1_500)
    while now_ms() <= soon.info.expires_at:  # wait for the clock, however slow the machine
        time.sleep(0.05)
    day = datetime.fromtimestamp(soon.info.expires_at / 1000, timezone.utc).strftime("%Y-%m-%d")
    for header in (f"Bearer {soon.secret}", _basic("alice", soon.secret)):
        native = authed.api(authorization=header).get("/projects")
        assert native.status_code == 401, header
        assert native.json()["error"] == "UNAUTHENTICATED"
        assert f"token expired on {day}" in native.json()["message"]
        mlflow = authed.server.client().get(
            "/api/2.0/mlflow/experiments/search?max_results=5", headers={"authorization": header}
        )
        assert mlflow.status_code == 401, header
        assert mlflow.json()["error_code"] == "UNAUTHENTICATED"
        assert f"token expired on {day}" in mlflow.json()["message"]


def test_permissions_per_project_creator_manages_admin_bypasses(authed: AuthServer) -> None:
    alice, reader, editor = authed.api("alice"), authed.api("reader"), authed.api("editor")
    outsider, root = authed.api("outsider"), authed.api("root")
    created = alice.post("/runs", json={"project": "alpha"})
    assert created.status_code == 201
    run = created.json()["id"]
    # The creator of a new project manages it, and can share it.
    assert alice.get("/projects/alpha/permissions").json()["permissions"] == [
        {"user": "alice", "project": "alpha", "permission": "MANAGE"}
    ]
    for user, level in (("reader", "READ"), ("editor", "EDIT")):
        grant = alice.put(f"/projects/alpha/permissions/{user}", json={"permission": level})
        assert grant.status_code == 204
    # READ: reads, nothing else.
    assert reader.get(f"/runs/{run}").status_code == 200
    assert reader.get(f"/runs/{run}/series").status_code == 200
    assert _denied(reader.post(f"/runs/{run}/tags", json={"tags": {"a": "1"}}), "'alpha'", "EDIT")
    assert _denied(_ingest(reader, _points(run, "r1")), "EDIT")
    assert _denied(reader.put(f"/runs/{run}/artifacts/f.txt", content=b"x"), "EDIT")
    # EDIT: logs, but deleting and sharing need MANAGE.
    assert editor.post(f"/runs/{run}/tags", json={"tags": {"a": "1"}}).status_code == 204
    assert _ingest(editor, _points(run, "e1")).json()["applied"] == 1
    assert editor.post("/runs", json={"project": "alpha"}).status_code == 201
    assert _denied(editor.delete(f"/runs/{run}"), "MANAGE")
    assert _denied(editor.put("/projects/alpha/permissions/outsider", json={"permission": "READ"}))
    assert alice.delete(f"/runs/{run}").status_code == 200
    assert alice.post(f"/runs/{run}/restore").status_code == 200
    # No grant: nothing, not even creating a run in the existing project.
    assert _denied(outsider.get(f"/runs/{run}"), "READ")
    assert _denied(outsider.post("/runs", json={"project": "alpha"}), "EDIT")
    assert root.delete(f"/runs/{run}").status_code == 200  # admins need no grant
    assert root.post(f"/runs/{run}/restore").status_code == 200
    assert root.get("/projects/alpha/permissions").status_code == 200


def test_ingest_checks_every_record_before_applying_any(authed: AuthServer) -> None:
    alice, outsider, root = authed.api("alice"), authed.api("outsider"), authed.api("root")
    run = alice.post("/runs", json={"project": "gamma"}).json()["id"]
    new_run = {"run_id": "outsider1", "project": "outsider-own", "config": {"lr": 0.1}}
    refused = _ingest(
        outsider,
        encode_record("create_run", new_run),
        encode_record("set_tags", {"run_id": run, "tags": {"x": "y"}}),
    )
    assert _denied(refused, "'gamma'", "EDIT")
    names = [p["name"] for p in root.get("/projects").json()["projects"]]
    assert "outsider-own" not in names  # nothing of the refused request was applied
    # A new project through ingest: created, and its creator manages it.
    accepted = _ingest(outsider, encode_record("create_run", new_run), _points("outsider1", "o1"))
    assert accepted.json()["applied"] == 2
    assert outsider.get("/projects/outsider-own/permissions").json()["permissions"][0] == {
        "user": "outsider",
        "project": "outsider-own",
        "permission": "MANAGE",
    }


def test_search_and_project_lists_show_only_readable_projects(authed: AuthServer) -> None:
    alice, outsider = authed.api("alice"), authed.api("outsider")
    reader, root = authed.api("reader"), authed.api("root")
    mine = alice.post("/runs", json={"project": "delta"}).json()["id"]
    theirs = outsider.post("/runs", json={"project": "epsilon"}).json()["id"]
    alice.put("/projects/delta/permissions/reader", json={"permission": "READ"})

    def found(api: httpx.Client, **body: object) -> set[str]:
        answer = api.post("/runs/search", json=body)
        assert answer.status_code == 200, answer.text
        return {r["id"] for r in answer.json()["runs"]}

    assert mine in found(reader) and theirs not in found(reader)
    assert theirs in found(outsider) and mine not in found(outsider)
    assert {mine, theirs} <= found(root)
    assert _denied(reader.post("/runs/search", json={"projects": ["epsilon"]}), "READ")
    assert found(reader, projects=["delta"]) == {mine}
    visible = {p["name"] for p in reader.get("/projects").json()["projects"]}
    assert "delta" in visible and "epsilon" not in visible


def test_no_secret_reaches_the_server_output(
    tmp_path: Path, server_factory: Callable[..., ServerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path}/tracklog.db"
    store = Store(StoreLocation(resolve(uri).db_url, str(tmp_path / "artifacts")))
    auth = AuthStore(store)
    monkeypatch.setattr(auth_module, "_hasher", _cheap_hasher())
    auth.create_user("alice", PASSWORD)
    token = auth.create_token("alice").secret
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
        hashes = conn.exec_driver_sql("SELECT secret_hash FROM tokens").scalars().all()
    assert stored.startswith("$argon2") and token not in hashes
    # Beyond loopback with --auth: no warning about missing authentication.
    server = server_factory(uri, extra=["--auth", "--host", "0.0.0.0"])
    url = f"{server.url}/api/v1/projects"
    guesses = ["tlk_guessed-secret", "a wrong password"]
    for header in (
        f"Bearer {token}",
        _basic("alice", PASSWORD),
        f"Bearer {guesses[0]}",
        _basic("alice", guesses[1]),
    ):
        httpx.get(url, headers={"authorization": header})
    server.stop()
    output = server.output()
    assert "Uvicorn running" in output or "Application startup complete" in output
    assert "WARNING: tracklog server listens" not in output
    for secret in (token, PASSWORD, *guesses):
        assert secret not in output
        assert base64.b64encode(secret.encode()).decode()[:16] not in output
    store.close()


def test_the_web_ui_endpoints_need_read_on_the_project(authed: AuthServer) -> None:
    alice, reader, outsider = authed.api("alice"), authed.api("reader"), authed.api("outsider")
    run = alice.post("/runs", json={"project": "ui-only", "config": {"lr": 1}}).json()["id"]
    grant = alice.put("/projects/ui-only/permissions/reader", json={"permission": "READ"})
    assert grant.status_code == 204
    batch = {"runs": [run], "keys": [{"key": "loss"}]}
    assert reader.get("/projects/ui-only/keys").json()["params"] == ["lr"]
    assert reader.post("/series/batch", json=batch).json() == {"series": [None]}
    alice.post(f"/runs/{run}/finish", json={"status": "FINISHED"})
    assert "event: done" in reader.get("/events", params={"runs": run}).text
    assert _denied(outsider.get("/projects/ui-only/keys"), "READ")
    assert _denied(outsider.post("/series/batch", json=batch), "READ")
    assert _denied(outsider.get("/events", params={"runs": run}), "READ")
