"""The traversal corpus: every route that takes a path, sent every known way out of the
artifact root (``..`` plain, percent-encoded and double-encoded, overlong UTF-8, backslashes,
NUL, absolute and drive paths, ``~``, very long paths) and through symbolic links planted in
the store's artifact folder.

Each attempt must be refused with a 4xx JSON error of the route's shape, and nothing outside
the root may be read, written, created or deleted: a sentinel folder beside the store is
compared byte for byte after every request. Requests go to the in-process app with their paths
as sent (``asgi_raw``), as uvicorn hands them over; one test checks the same on a real server.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from asgi_raw import Answer, RawClient, raw_client

from inprocess import socket_server
from tracklog.server.app import create_app
from tracklog.server.settings import Settings
from tracklog.store.auth import AuthStore
from tracklog.store.tracking import Store

SECRET = b"the sentinel outside the artifact root"
UP = 16  # more ".." than the root is deep


@dataclass(frozen=True)
class World:
    """A server's store beside a sentinel folder, with one run and one logged model."""

    api: RawClient
    root: Path  # the artifact root
    outside: Path  # the sentinel folder: nothing may change here
    experiment: str
    run: str
    model: str

    def snapshot(self) -> dict[str, bytes | None]:
        """Every path under the sentinel folder (and the folder beside it), with file bytes."""
        seen: dict[str, bytes | None] = {}
        for top in (self.outside, self.outside.parent / "beside"):
            for path in sorted(top.rglob("*")):
                seen[str(path)] = path.read_bytes() if path.is_file() else None
        return seen


def _json(answer: Answer, path: str) -> dict[str, object]:
    assert answer.headers.get("content-type", "").startswith("application/json"), answer
    body = answer.json()
    assert isinstance(body, dict), (path, body)
    return body


def _start(tmp_path: Path, auth: bool = False) -> Iterator[tuple[RawClient, Path, Path]]:
    """The app on a new store beside a sentinel folder; with ``auth``, requests carry an
    admin's token, so the permission rules (which read the same paths) run first."""
    root = tmp_path / "store" / "artifacts"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (outside / "victim").mkdir()
    (outside / "victim" / "keep.txt").write_bytes(SECRET)
    (tmp_path / "beside").mkdir()
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'store' / 'tracklog.db'}",
        artifacts_destination=str(root),
        auth=auth,
    )
    headers = {}
    if auth:
        store = Store(settings.backend_store_uri)
        AuthStore(store).create_user("admin", None, admin=True)
        headers["authorization"] = f"Bearer {AuthStore(store).create_token('admin').secret}"
        store.close()
    with raw_client(create_app(settings), headers) as api:
        yield api, root, outside


def _setup(api: RawClient, root: Path, outside: Path) -> World:
    made = api.request("POST", "/api/v1/runs", body=json.dumps({"project": "p"}).encode())
    assert made.status == 201, made.body
    run = made.json()
    experiment = str(run["experiment_id"])
    body = json.dumps({"experiment_id": experiment, "name": "m"}).encode()
    model = api.request("POST", "/api/2.0/mlflow/logged-models", body=body).json()["model"]
    world = World(api, root, outside, experiment, run["id"], model["info"]["model_id"])
    # Something legitimate to find, so a refusal is not just an empty store.
    put = api.request("PUT", f"/api/v1/runs/{world.run}/artifacts/ok.txt", body=b"ok")
    assert put.status == 201, put.body
    return world


@pytest.fixture(scope="module", params=["open", "auth"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    auth = request.param == "auth"
    for api, root, outside in _start(tmp_path_factory.mktemp("traversal"), auth):
        yield _setup(api, root, outside)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    """A world of its own, for tests that plant links breaking every other request."""
    for api, root, outside in _start(tmp_path):
        yield _setup(api, root, outside)


def _escapes(outside: Path) -> list[tuple[str, str]]:
    """(id, raw path text as sent in a URL) that name the sentinel file from any depth."""
    target = str(outside / "secret.txt").lstrip("/")
    encoded = quote(target, safe="")
    drive = "C:" + "%5c".join(["", "Windows", "win.ini"])
    return [
        ("dotdot", "../" * UP + target),
        ("dotdot-after-a-folder", "a/b/" + "../" * UP + target),
        ("dotdot-trailing", "a/.."),
        ("pct-dots", "%2e%2e/" * UP + target),
        ("pct-dots-upper", "%2E%2E/" * UP + target),
        ("pct-dot-half", ".%2e/" * UP + target),
        ("pct-dots-and-slashes", "%2e%2e%2f" * UP + encoded),
        ("backslash", "..\\" * UP + target.replace("/", "\\")),
        ("pct-backslash", "..%5c" * UP + encoded),
        ("nul", "secret.txt%00.png"),
        ("nul-in-dotdot", "..%00/" * UP + target),
        ("absolute", "/" + target),
        ("pct-absolute", "%2f" + encoded),
        ("drive", drive),
        ("drive-slash", "C:/Windows/win.ini"),
        ("drive-relative", "c:" + "..%5c" * UP),
        ("overlong-dots", "%c0%ae%c0%ae/" * UP + target),
        ("overlong-slash", "%c0%ae%c0%ae%c0%af" * UP + encoded),
        ("overlong-3-byte", "%e0%80%ae%e0%80%ae/" * UP + target),
        ("surrogate-bytes", "%ed%a0%80/x"),
        ("long", "a/" * 2000 + "x"),
        ("long-name", "n" * 300),
        ("staging", ".tracklog-staging/writes/x"),
        ("pct-staging", "%2etracklog-staging/x"),
        ("dot-only", "."),
        ("empty-parts", "//"),
    ]


# Escapes only at the start of a path.
ANCHORED = {"absolute", "pct-absolute", "drive-slash", "dot-only"}


# Paths that are legal names inside the root: they must stay literal (decoded once, not twice,
# never normalised across '/'), so a read finds nothing and a write lands inside the root.
def _literals(outside: Path) -> list[tuple[str, str]]:
    target = str(outside / "secret.txt").lstrip("/")
    return [
        ("double-encoded", "%252e%252e/" * UP + target),
        ("double-encoded-slashes", "%252e%252e%252f" * 8 + "secret.txt"),
        ("fullwidth-dots", "%ef%bc%8e%ef%bc%8e/" * UP + target),
        ("one-dot-leader", "%e2%80%a5/" * UP + target),
        ("tilde", "~/" + target),
        ("tilde-user", "~root/.bashrc"),
        ("dollar-home", "$HOME/x"),
    ]


def _routes(w: World) -> list[tuple[str, str, str, str]]:
    """(id, method, URL template with {p}, error shape) of every route taking a path in its URL."""
    run_files = f"/api/2.0/mlflow-artifacts/artifacts/{w.experiment}/{w.run}/artifacts"
    model_files = f"/api/2.0/mlflow-artifacts/artifacts/{w.experiment}/models/{w.model}/artifacts"
    routes = [
        ("native-get", "GET", f"/api/v1/runs/{w.run}/artifacts/{{p}}", "native"),
        ("native-put", "PUT", f"/api/v1/runs/{w.run}/artifacts/{{p}}", "native"),
    ]
    for where, prefix in (
        ("run", run_files),
        ("model", model_files),
        ("root", "/api/2.0/mlflow-artifacts/artifacts"),
        ("ajax-root", "/ajax-api/2.0/mlflow-artifacts/artifacts"),
    ):
        for method in ("GET", "PUT", "DELETE"):
            routes.append((f"mlflow-{where}-{method.lower()}", method, f"{prefix}/{{p}}", "mlflow"))
    mpu = "/api/2.0/mlflow-artifacts/mpu"
    for step in ("create", "complete", "abort"):
        routes.append((f"mpu-{step}", "POST", f"{mpu}/{step}/{{p}}", "mlflow"))
    routes.append(("mpu-part", "PUT", f"{mpu}/parts/{{p}}/1", "mlflow"))
    routes.append(("ui-static", "GET", "/ui/{p}", "native"))
    return routes


MPU_BODY = json.dumps(
    {"path": "f.bin", "num_parts": 1, "upload_id": "x", "parts": [{"part_number": 1}]}
).encode()


def _send(w: World, method: str, url: str, query: str = "", body: bytes | None = None) -> Answer:
    if body is None:
        body = MPU_BODY if "/mpu/" in url and method == "POST" else b"planted"
    return w.api.request(method, url, query=query, body=body)


def _check_refused(w: World, answer: Answer, shape: str, what: str) -> None:
    assert 400 <= answer.status < 500, (what, answer.status, answer.body[:300])
    body = _json(answer, what)
    keys = {"error_code", "message"} if shape == "mlflow" else {"error", "message"}
    assert keys <= body.keys(), (what, body)
    assert SECRET not in answer.body, what


# Ids for parametrizing: the paths themselves are known only once a test's store exists.
_IDS = World(None, Path("/"), Path("/o"), "E", "R", "M")  # type: ignore[arg-type]
ROUTE_IDS = [route for route, *_ in _routes(_IDS)]
ESCAPE_IDS = [attack for attack, _ in _escapes(_IDS.outside)]
LITERAL_IDS = [attack for attack, _ in _literals(_IDS.outside)]


@pytest.mark.parametrize("attack", ESCAPE_IDS)
@pytest.mark.parametrize("route", ROUTE_IDS)
def test_escapes_are_refused_on_every_path_route(world: World, route: str, attack: str) -> None:
    _, method, template, shape = next(r for r in _routes(world) if r[0] == route)
    raw = dict(_escapes(world.outside))[attack]
    before = world.snapshot()
    answer = _send(world, method, template.replace("{p}", raw))
    if attack in ANCHORED and route.startswith(("mlflow-run-", "mlflow-model-")):
        # After a run's or model's folder, '//x' or 'C:/x' is that folder's x: no escape.
        assert answer.status < 500 and SECRET not in answer.body, answer
    else:
        _check_refused(world, answer, shape, f"{method} {raw[:80]}")
    assert world.snapshot() == before


@pytest.mark.parametrize("attack", LITERAL_IDS)
def test_odd_but_legal_names_stay_inside_the_root(world: World, attack: str) -> None:
    raw = dict(_literals(world.outside))[attack]
    before = world.snapshot()
    for route, method, template, shape in _routes(world):
        answer = _send(world, method, template.replace("{p}", raw))
        what = f"{method} {template} {raw[:60]}"
        if answer.status >= 400:
            _check_refused(world, answer, shape, what)
        else:  # stored, read or deleted under its literal name, inside the root
            assert SECRET not in answer.body, what
        if route == "native-put":  # stored, under the name decoded once
            assert answer.json()["path"] == unquote(raw), (what, answer.body)
        assert world.snapshot() == before, what


def _list_queries(w: World) -> list[tuple[str, str]]:
    """(id, decoded path) for MLflow's listing, whose path is a query or body argument."""
    target = str(w.outside).lstrip("/")
    run_prefix = f"{w.experiment}/{w.run}/artifacts/"
    return [
        ("dotdot", "../" * UP + target),
        ("run-dotdot", run_prefix + "../" * UP + target),
        ("run-up-one", run_prefix + ".."),
        ("absolute", "/" + target),
        ("backslash", "..\\" * UP + target),
        ("nul", run_prefix + "a\x00b"),
        ("drive", "C:/Windows"),
        ("staging", ".tracklog-staging"),
        ("surrogate", run_prefix + "\ud800"),
        ("replacement-char", run_prefix + "\ufffd\ufffd"),
        ("long", "a/" * 2000),
    ]


@pytest.mark.parametrize("case", [case for case, _ in _list_queries(_IDS)])
@pytest.mark.parametrize("where", ["query", "body"])
def test_listing_cannot_leave_the_root(world: World, case: str, where: str) -> None:
    path = dict(_list_queries(world))[case]
    before = world.snapshot()
    for prefix in ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"):
        if where == "query":
            encoded = quote(path.encode("utf-8", "surrogatepass"), safe="")
            answer = world.api.request("GET", f"{prefix}/artifacts", query=f"path={encoded}")
        else:
            body = json.dumps({"path": path}).encode()
            answer = world.api.request("GET", f"{prefix}/artifacts", body=body)
        _check_refused(world, answer, "mlflow", f"{where} {path[:60]!r}")
        assert b"secret.txt" not in answer.body and b"victim" not in answer.body
    assert world.snapshot() == before


@pytest.mark.parametrize("name", ["..", "../../x", "..\\..\\x", "a\x00b", "/", ".tracklog-staging"])
def test_multipart_file_names_cannot_leave_the_folder(world: World, name: str) -> None:
    """The file name of a multipart upload comes from the body's ``path`` (the client's local
    file): only its last part counts, and it must be a plain name."""
    before = world.snapshot()
    folder = f"/api/2.0/mlflow-artifacts/mpu/create/{world.experiment}/{world.run}/artifacts/d"
    body = json.dumps({"path": name, "num_parts": 1}).encode()
    answer = world.api.request("POST", folder, body=body)
    if answer.status < 400:  # a name with folders: its last part, inside the run's folder
        assert answer.json()["upload_id"], answer.body
    else:
        _check_refused(world, answer, "mlflow", name)
    assert world.snapshot() == before


ARTIFACTS = "/api/2.0/mlflow-artifacts"


def _all_refused(w: World, attempts: list[tuple[str, str, str]]) -> None:
    """Each (method, URL, error shape) is refused and changes nothing outside the root."""
    before = w.snapshot()
    for method, url, shape in attempts:
        answer = _send(w, method, url)
        _check_refused(w, answer, shape, f"{method} {url}")
        assert w.snapshot() == before, (method, url)


def _listing(w: World, path: str) -> Answer:
    return w.api.request("GET", f"{ARTIFACTS}/artifacts", query=f"path={quote(path)}")


def test_reads_and_writes_through_planted_links_are_refused(fresh: World) -> None:
    w = fresh
    run_dir = w.root / w.experiment / w.run
    model_dir = w.root / w.experiment / "models" / w.model / "artifacts"
    model_dir.mkdir(parents=True)
    os.symlink(w.outside / "secret.txt", run_dir / "leak.txt")
    os.symlink(w.outside, run_dir / "leakdir")
    os.symlink(w.outside, model_dir / "leakdir")
    os.symlink(w.outside, w.root / "leakroot")
    native = f"/api/v1/runs/{w.run}/artifacts"
    run_files = f"{ARTIFACTS}/artifacts/{w.experiment}/{w.run}/artifacts"
    model_files = f"{ARTIFACTS}/artifacts/{w.experiment}/models/{w.model}/artifacts"
    attempts = [
        ("GET", f"{native}/leak.txt", "native"),
        ("GET", f"{native}/leakdir/secret.txt", "native"),
        ("PUT", f"{native}/leak.txt", "native"),
        ("PUT", f"{native}/leakdir/planted.txt", "native"),
        ("PUT", f"{native}/leakdir/new/planted.txt", "native"),
        ("PUT", f"{native}/leakdir/victim/keep.txt", "native"),
        ("GET", f"{run_files}/leak.txt", "mlflow"),
        ("DELETE", f"{run_files}/leak.txt", "mlflow"),
        ("GET", f"{ARTIFACTS}/artifacts/leakroot/secret.txt", "mlflow"),
        ("PUT", f"{ARTIFACTS}/artifacts/leakroot/planted.txt", "mlflow"),
        ("DELETE", f"{ARTIFACTS}/artifacts/leakroot/victim/keep.txt", "mlflow"),
        ("POST", f"{ARTIFACTS}/mpu/create/leakroot", "mlflow"),
    ]
    for base in (run_files, model_files):
        attempts += [
            ("GET", f"{base}/leakdir/secret.txt", "mlflow"),
            ("PUT", f"{base}/leakdir/planted.txt", "mlflow"),
            ("DELETE", f"{base}/leakdir/victim", "mlflow"),
            ("DELETE", f"{base}/leakdir", "mlflow"),
        ]
    _all_refused(w, attempts)
    for path in (
        f"{w.experiment}/{w.run}/artifacts/leakdir",
        f"{w.experiment}/models/{w.model}/artifacts/leakdir",
        "leakroot",
    ):
        _check_refused(w, _listing(w, path), "mlflow", f"list {path}")
    # A listing of the folders holding the links shows nothing of what lies behind them.
    for path in (f"{w.experiment}/{w.run}/artifacts", ""):
        answer = _listing(w, path)
        assert answer.status == 200, answer.body
        names = {f["path"] for f in answer.json()["files"]}
        assert not names & {"leak.txt", "leakdir", "leakroot"}, names
    assert w.api.request("GET", f"{native}/ok.txt").body == b"ok"  # the run's own files work


def test_a_run_or_experiment_folder_replaced_by_a_link_is_not_followed(fresh: World) -> None:
    w = fresh
    exp_dir = w.root / w.experiment
    run_dir = exp_dir / w.run
    (w.outside / w.run).mkdir()
    (w.outside / w.run / "secret.txt").write_bytes(SECRET)
    os.rename(run_dir, w.root / "moved")
    os.symlink(w.outside / w.run, run_dir)
    native = f"/api/v1/runs/{w.run}/artifacts"
    run_files = f"{ARTIFACTS}/artifacts/{w.experiment}/{w.run}/artifacts"
    writes = [
        ("PUT", f"{native}/planted.txt", "native"),
        ("PUT", f"{run_files}/planted.txt", "mlflow"),
    ]
    _all_refused(
        w,
        [
            *writes,
            ("GET", f"{native}/secret.txt", "native"),
            ("GET", f"{run_files}/secret.txt", "mlflow"),
            ("DELETE", f"{run_files}/secret.txt", "mlflow"),
        ],
    )
    listing = _listing(w, f"{w.experiment}/{w.run}/artifacts")
    _check_refused(w, listing, "mlflow", "list the linked run folder")
    # The same one level up: the experiment's folder is the link.
    os.remove(run_dir)
    os.rename(w.root / "moved", run_dir)
    os.rename(exp_dir, w.root / "moved-exp")
    (w.outside / "exp" / w.run).mkdir(parents=True)
    os.symlink(w.outside / "exp", exp_dir)
    _all_refused(w, writes)


def test_a_linked_staging_folder_is_not_written_through(fresh: World) -> None:
    """Uploads are staged under the root before they are moved into place: a staging folder
    replaced by a link must not carry their bytes outside."""
    w = fresh
    staging = w.root / ".tracklog-staging"
    if staging.exists():
        os.rename(staging, w.root / "old-staging")
    os.symlink(w.outside, staging)
    _all_refused(
        w,
        [
            ("PUT", f"/api/v1/runs/{w.run}/artifacts/new.txt", "native"),
            ("PUT", f"{ARTIFACTS}/artifacts/new.txt", "mlflow"),
            ("POST", f"{ARTIFACTS}/mpu/create/{w.experiment}/{w.run}/artifacts/d", "mlflow"),
        ],
    )


REAL_SERVER_CASES = [
    ("GET", "/api/v1/runs/{run}/artifacts/" + "../" * UP + "{target}", "native"),
    ("GET", "/api/v1/runs/{run}/artifacts/" + "%2e%2e/" * UP + "{target}", "native"),
    ("PUT", "/api/v1/runs/{run}/artifacts/" + "../" * UP + "{planted}", "native"),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts/" + "..%2f" * UP + "{target}", "mlflow"),
    ("PUT", "/api/2.0/mlflow-artifacts/artifacts//{planted}", "mlflow"),
    ("GET", "/ui/" + "../" * UP + "{target}", "native"),
    ("GET", "/ui/" + "%2e%2e/" * UP + "{target}", "native"),
]


def test_a_real_server_refuses_the_same(tmp_path: Path) -> None:
    """uvicorn hands the path over as sent, as the in-process requests above assume."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    with socket_server(f"sqlite:///{tmp_path}/t.db", tmp_path / "artifacts") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        made = json.dumps({"project": "p"})
        conn.request("POST", "/api/v1/runs", made, {"content-type": "application/json"})
        run = json.loads(conn.getresponse().read())["id"]
        target = str(outside / "secret.txt").lstrip("/")
        planted = str(outside / "planted.txt").lstrip("/")
        for method, template, shape in REAL_SERVER_CASES:
            url = template.format(run=run, target=target, planted=planted)
            conn.request(method, url, body=b"planted" if method == "PUT" else None)
            reply = conn.getresponse()
            body = reply.read()
            assert 400 <= reply.status < 500, (url, reply.status, body[:200])
            keys = {"error_code", "message"} if shape == "mlflow" else {"error", "message"}
            assert keys <= json.loads(body).keys(), (url, body)
            assert SECRET not in body
        assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
