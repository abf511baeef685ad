"""``tracklog server --auth`` under a flood of bad credentials: nothing of a request's body is
read (or decompressed) before its credentials are checked, failed logins are rate-limited per
client address and per user name (429 with Retry-After), password checks (argon2, 64 MiB each)
run a few at a time (a real process, whose memory is read), and valid tokens and
already-verified passwords are never held up."""

from __future__ import annotations

import asyncio
import base64
import gzip
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from inprocess import InProcessServer
from server_process import ServerProcess
from tracklog.server.app import create_app
from tracklog.server.settings import Settings
from tracklog.store import auth as auth_module
from tracklog.store.auth import AuthStore
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.tracking import Store

PASSWORD = "a long enough password"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _users(folder: Path, *names: str) -> tuple[str, dict[str, str]]:
    """A SQLite store in ``folder`` with ``names`` (password :data:`PASSWORD`, cheap argon2
    costs: the server verifies with each hash's own), and a token per user."""
    uri = f"sqlite:///{folder}/tracklog.db"
    store = Store(StoreLocation(resolve(uri).db_url, str(folder / "artifacts")))
    auth = AuthStore(store)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))
        for name in names:
            auth.create_user(name, PASSWORD)
    tokens = {name: auth.create_token(name).secret for name in names}
    store.close()
    return uri, tokens


def _limited_server(
    tmp_path: Path, app_factory: Callable[..., InProcessServer], window_s: int
) -> tuple[InProcessServer, dict[str, str]]:
    """An ``--auth`` app allowing 3 failed logins per user name and 6 per client address in a
    window of ``window_s`` seconds."""
    uri, tokens = _users(tmp_path, "alice", "carol", "mallory", "trudy", "oscar")
    limits = {"failed_logins_per_user": 3, "failed_logins_per_address": 6}
    return app_factory(uri, auth=True, failed_login_window=window_s, **limits), tokens


@pytest.fixture
def limited(
    tmp_path: Path, app_factory: Callable[..., InProcessServer]
) -> tuple[InProcessServer, dict[str, str]]:
    """A limited app whose window (an hour) no slow request outlasts."""
    return _limited_server(tmp_path, app_factory, 3600)


WRONG = b"Basic " + base64.b64encode(b"alice:wrong password")


def _unauthenticated(
    tmp_path: Path, requests: list[tuple[str, str]], authorization: bytes | None
) -> list[tuple[int, int]]:
    """Send each (method, path) to the in-process ``--auth`` app with ``authorization`` and a
    body that is not valid gzip: the status of each and how many times the app pulled a
    message of its body."""
    uri, _ = _users(tmp_path, "alice")
    app = create_app(Settings(backend_store_uri=uri, auth=True))
    results: list[tuple[int, int]] = []

    async def one(method: str, path: str) -> tuple[int, int]:
        pulled = 0
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal pulled
            pulled += 1
            return {"type": "http.request", "body": b"\x1f\x8bnot gzip", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"content-encoding", b"gzip"),
                *([(b"authorization", authorization)] if authorization else []),
            ],
            "client": ("127.0.0.1", 5555),
            "server": ("testserver", 80),
        }
        await app(scope, receive, send)
        return status, pulled

    async def call() -> None:
        async with app.router.lifespan_context(app):
            for method, path in requests:
                results.append(await one(method, path))

    asyncio.run(call())
    return results


@pytest.mark.parametrize("path", ["/api/v1/runs", "/api/2.0/mlflow/experiments/create"])
def test_no_body_is_read_before_the_credentials_are_checked(tmp_path: Path, path: str) -> None:
    assert _unauthenticated(tmp_path, [("POST", path)], WRONG) == [(401, 0)]


# Open on purpose (docs/server.md): nothing secret, or the URL holds the secret.
OPEN = {
    "/health",
    "/api/3.0/mlflow/server-info",
    "/ajax-api/3.0/mlflow/server-info",
    "/api/2.0/mlflow-artifacts/mpu/parts/{upload_id}/{part_number}",
    "/ajax-api/2.0/mlflow-artifacts/mpu/parts/{upload_id}/{part_number}",
}


def test_every_route_but_the_open_ones_refuses_before_reading_the_body(tmp_path: Path) -> None:
    """Over the OpenAPI description (every native and MLflow route): without credentials a
    route answers 401 without pulling its body (the body, not valid gzip, would be a 400)."""
    schema = create_app(Settings(backend_store_uri=f"sqlite:///{tmp_path}/s.db")).openapi()
    routes = [
        (method.upper(), template, re.sub(r"\{[^}]+\}", "x", template))
        for template, operations in schema["paths"].items()
        for method in operations
    ]
    assert {template for _, template, _ in routes} >= OPEN
    answers = _unauthenticated(tmp_path, [(m, path) for m, _, path in routes], None)
    for (method, template, _), (status, pulled) in zip(routes, answers, strict=True):
        if template in OPEN:
            assert status != 401, (method, template)
        else:
            assert (status, pulled) == (401, 0), (method, template)


def test_an_unauthenticated_gzip_bomb_is_refused_before_decoding(
    tmp_path: Path, app_factory: Callable[..., InProcessServer]
) -> None:
    """100 MiB of zeros in 100 kB of gzip: the server would stop decoding at its 64 MiB limit
    (413); with the credentials checked first it never starts (401)."""
    uri, tokens = _users(tmp_path, "alice")
    web = app_factory(uri, auth=True).client()
    bomb = gzip.compress(bytes(100 << 20), compresslevel=9)
    for path in ("/api/v1/runs", "/api/2.0/mlflow/runs/log-batch"):
        for headers in ({}, _basic("alice", "wrong password")):
            headers = {**headers, "content-encoding": "gzip"}
            headers["content-type"] = "application/json"
            answer = web.post(path, content=bomb, headers=headers)
            assert answer.status_code == 401, (path, answer.text)
    # An authenticated bomb is still decoded only up to the limit.
    headers = {"content-encoding": "gzip", "authorization": f"Bearer {tokens['alice']}"}
    answer = web.post("/api/v1/runs", content=bomb, headers=headers)
    assert answer.status_code == 413 and "--max-body-bytes" in answer.json()["message"]


def _retry_after(answer: httpx.Response) -> int:
    assert answer.status_code == 429, answer.text
    return int(answer.headers["retry-after"])


def test_failed_logins_are_limited_per_user_and_address_and_valid_users_pass(
    limited: tuple[InProcessServer, dict[str, str]],
) -> None:
    server, tokens = limited
    web = server.client()
    native = "/api/v1/projects"
    mlflow = "/api/2.0/mlflow/experiments/search?max_results=5"
    assert web.get(native, headers=_basic("carol", PASSWORD)).status_code == 200  # verified
    for _ in range(3):
        assert web.get(native, headers=_basic("alice", "wrong")).status_code == 401
    refused = web.get(native, headers=_basic("alice", "wrong"))
    assert 1 <= _retry_after(refused) <= 3600
    assert refused.json()["error"] == "TOO_MANY_REQUESTS"
    assert "'alice'" in refused.json()["message"]
    # Blocked before any check: even her right password is not tried now ...
    assert _retry_after(web.get(native, headers=_basic("alice", PASSWORD))) >= 1
    on_mlflow = web.get(mlflow, headers=_basic("alice", PASSWORD))
    assert _retry_after(on_mlflow) >= 1
    assert on_mlflow.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    # ... but her token is, as bearer and as a basic password (no password check involved).
    assert web.get(native, headers={"authorization": f"Bearer {tokens['alice']}"}).is_success
    assert web.get(mlflow, headers=_basic("alice", tokens["alice"])).is_success
    # Three more failures from this address, under other names, block the address.
    for name in ("mallory", "trudy", "oscar"):
        assert web.get(native, headers=_basic(name, "wrong")).status_code == 401
    blocked = web.get(native, headers=_basic("eve", "wrong"))
    assert _retry_after(blocked) >= 1 and "address" in blocked.json()["message"]
    # Credentials verified before still pass at once, as do tokens.
    assert web.get(native, headers=_basic("carol", PASSWORD)).status_code == 200
    assert web.get(native, headers={"authorization": f"Bearer {tokens['carol']}"}).is_success


def test_the_limit_lifts_once_the_failures_leave_the_window(
    tmp_path: Path, app_factory: Callable[..., InProcessServer]
) -> None:
    server, _ = _limited_server(tmp_path, app_factory, 2)
    web = server.client()
    native = "/api/v1/projects"
    # Three failures inside one 2 s window block her; on a slow machine the first ones may
    # leave it before the third comes, so fail until the block comes (a bound, not a time).
    for _ in range(100):
        answer = web.get(native, headers=_basic("alice", "wrong"))
        if answer.status_code != 401:
            break
    assert 1 <= _retry_after(answer) <= 2
    deadline = time.monotonic() + 120
    while (right := web.get(native, headers=_basic("alice", PASSWORD))).status_code == 429:
        assert time.monotonic() < deadline, "the block never lifted"
        time.sleep(0.1)
    assert right.status_code == 200, right.text


def _peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_password_checks_run_a_few_at_a_time(tmp_path: Path) -> None:
    """16 wrong passwords at once for unknown names: each is checked against a hash with the
    real costs (64 MiB), so 16 checks side by side would take the server past 1 GiB."""
    uri, _ = _users(tmp_path, "alice")
    server = ServerProcess(uri, tmp_path / "artifacts", extra=["--auth"]).start()
    try:
        assert server.proc is not None
        before = _peak_rss(server.proc.pid)

        def guess(i: int) -> int:
            headers = _basic(f"nobody{i}", "wrong password")
            url = f"{server.url}/api/v1/projects"
            return httpx.get(url, headers=headers, timeout=120).status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(guess, range(16)))
        assert statuses == [401] * 16
        grown = _peak_rss(server.proc.pid) - before
        cost = auth_module._hasher.memory_cost * 1024
        assert grown < 5 * cost, f"peak RSS grew {grown / 2**20:.0f} MiB"
    finally:
        server.stop()


def _fail_from(url: str, forwarded_for: list[str]) -> list[int]:
    """One wrong password per address in ``forwarded_for`` (sent as ``X-Forwarded-For``), each
    under a user name of its own so only the address limit can block: the statuses."""
    return [
        httpx.get(
            f"{url}/api/v1/projects",
            headers={**_basic(f"user{i}", "wrong"), "x-forwarded-for": address},
        ).status_code
        for i, address in enumerate(forwarded_for)
    ]


def test_a_client_cannot_choose_the_address_the_login_limit_counts(tmp_path: Path) -> None:
    # The server command's uvicorn, not the app, decides whose X-Forwarded-For is believed.
    uri, _ = _users(tmp_path, "alice")
    extra = ["--auth", "--failed-logins-per-address", "6"]
    server = ServerProcess(uri, tmp_path / "artifacts", extra=extra).start()
    try:
        # Six failures allowed per address: the seventh is refused whatever address it claims.
        spoofed = [f"203.0.113.{i}" for i in range(7)]
        assert _fail_from(server.url, spoofed) == [401] * 6 + [429]
    finally:
        server.stop()


def test_behind_a_named_proxy_the_forwarded_address_is_counted(tmp_path: Path) -> None:
    uri, _ = _users(tmp_path, "alice")
    extra = ["--auth", "--failed-logins-per-address", "2", "--forwarded-allow-ips", "127.0.0.1"]
    server = ServerProcess(uri, tmp_path / "artifacts", extra=extra).start()
    try:
        # Each client behind the proxy has its own count ...
        assert _fail_from(server.url, [f"203.0.113.{i}" for i in range(4)]) == [401] * 4
        # ... and one client's third failure is refused.
        assert _fail_from(server.url, ["198.51.100.7"] * 3) == [401, 401, 429]
    finally:
        server.stop()
