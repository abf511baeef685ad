"""The standing fuzz test: every route of the server (native ``/api/v1``, MLflow tracking,
registry, logged models and artifacts, the UI's JSON and event stream, ingest), taken from the
app's own route table, gets hostile arguments: lone surrogates, deep nesting, huge and
non-finite numbers, non-ASCII digits, NUL, traversal paths, wrong types. No answer may be a
5xx, and every error is JSON in the route's shape (MLflow's ``{"error_code", "message"}``,
tracklog's ``{"error", "message"}``).

MLflow's routes read their arguments by hand (``routing.Args``), so their request bodies are
described here (:data:`MLFLOW_ROUTES`, :data:`FIELDS`); native bodies come from the app's
OpenAPI schema. ``TRACKLOG_FUZZ_EXAMPLES`` sets the examples per route (CI: the default).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracklog.server.app import create_app
from tracklog.server.mlflow_api import MLFLOW_PREFIXES
from tracklog.server.settings import Settings
from tracklog.store.auth import AuthStore
from tracklog.store.calls import OPS
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store
from tracklog.store.wire import MEDIA_TYPE, SERIES_MEDIA_TYPE, encode_record

EXAMPLES = int(os.environ.get("TRACKLOG_FUZZ_EXAMPLES", "12"))

# Text that broke servers before, or could: not text (lone surrogates), digits that are not
# ASCII, control characters, traversal, filter syntax, numbers as text, sheer length.
NASTY = [
    "\ud800",
    "a\udfffb",
    "²",
    "١٢",
    "\x00",
    "a\x00b",
    "\x7f",
    "",
    " ",
    "..",
    "../../etc/passwd",
    "a/../../b",
    "/etc/passwd",
    "C:\\Windows",
    "~",
    "%2e%2e/x",
    "²/x",
    "1/../..",
    "NaN",
    "Infinity",
    "-1",
    "9" * 40,
    "1e400",
    "metrics.x > 1 and",
    "attributes.status = 'x' or",
    "params.`a\ud800` = '1'",
    "tags.'a' IN ('b', 'c'",
    "x" * 300,
    "y" * 9000,
    "'",
    '"',
    "\\",
    "models:/m-00000",
    "runs:/abc/model",
    "mlflow-artifacts:/1/x",
]

numbers = st.one_of(
    st.sampled_from([0, -1, 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**40]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))


def deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value] if depth % 2 else {"a": value}
    return value


scalars = st.one_of(text, numbers, st.booleans(), st.none())
hostile = st.one_of(
    scalars,
    st.integers(min_value=30, max_value=200).map(deep),
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=8,
    ),
)

# MLflow's argument names, each with the kind of value its routes read (routing.Args).
FIELDS: dict[str, str] = {
    **dict.fromkeys(["experiment_id"], "experiment"),
    **dict.fromkeys(["run_id", "run_uuid", "source_run_id"], "run"),
    **dict.fromkeys(["model_id"], "logged_model"),
    **dict.fromkeys(["name", "new_name"], "model_name"),
    **dict.fromkeys(["experiment_name", "key", "metric_key", "alias", "stage", "status"], "text"),
    **dict.fromkeys(["value", "description", "source", "run_link", "run_name", "user_id"], "text"),
    **dict.fromkeys(["filter", "page_token", "model_type", "upload_id", "path"], "text"),
    **dict.fromkeys(["view_type", "run_view_type", "version"], "text"),
    **dict.fromkeys(["timestamp", "step", "start_time", "end_time", "start_step"], "int"),
    **dict.fromkeys(["end_step", "max_results", "num_parts"], "int"),
    **dict.fromkeys(["archive_existing_versions"], "bool"),
    **dict.fromkeys(["experiment_ids", "run_ids", "order_by", "stages", "datasets"], "list"),
    **dict.fromkeys(["tags", "params", "metrics", "models", "parts"], "objects"),
}
# The keys of the objects in those lists (tags, params, metrics, datasets, models, parts).
ITEM_FIELDS = ["key", "value", "timestamp", "step", "model_id", "dataset", "tags", "field_name"]
ITEM_FIELDS += ["ascending", "dataset_name", "part_number", "etag", "url"]

# Each MLflow route (below its prefix) and the arguments it reads.
MLFLOW_ROUTES: dict[str, list[str]] = {
    "experiments/create": ["name", "tags", "artifact_location"],
    "experiments/get": ["experiment_id"],
    "experiments/get-by-name": ["experiment_name"],
    "experiments/search": ["filter", "order_by", "max_results", "page_token", "view_type"],
    "experiments/update": ["experiment_id", "new_name"],
    "experiments/delete": ["experiment_id"],
    "experiments/restore": ["experiment_id"],
    "experiments/set-experiment-tag": ["experiment_id", "key", "value"],
    "experiments/delete-experiment-tag": ["experiment_id", "key"],
    "runs/create": ["experiment_id", "tags", "run_name", "user_id", "start_time"],
    "runs/get": ["run_id", "run_uuid"],
    "runs/update": ["run_id", "status", "end_time", "run_name"],
    "runs/delete": ["run_id"],
    "runs/restore": ["run_id"],
    "runs/search": ["experiment_ids", "filter", "order_by", "max_results", "page_token"],
    "runs/log-metric": ["run_id", "key", "value", "timestamp", "step"],
    "runs/log-parameter": ["run_id", "key", "value"],
    "runs/log-batch": ["run_id", "metrics", "params", "tags"],
    "runs/set-tag": ["run_id", "key", "value"],
    "runs/delete-tag": ["run_id", "key"],
    "runs/log-inputs": ["run_id", "datasets", "models"],
    "runs/outputs": ["run_id", "models"],
    "metrics/get-history": ["run_id", "metric_key", "max_results", "page_token"],
    "metrics/get-history-bulk-interval": ["run_ids", "metric_key", "start_step", "end_step"],
    "registered-models/create": ["name", "description", "tags"],
    "registered-models/get": ["name"],
    "registered-models/rename": ["name", "new_name"],
    "registered-models/update": ["name", "description"],
    "registered-models/delete": ["name"],
    "registered-models/search": ["filter", "order_by", "max_results", "page_token"],
    "registered-models/get-latest-versions": ["name", "stages"],
    "registered-models/set-tag": ["name", "key", "value"],
    "registered-models/delete-tag": ["name", "key"],
    "registered-models/alias": ["name", "alias", "version"],
    "model-versions/create": ["name", "source", "run_id", "run_link", "description", "tags"],
    "model-versions/get": ["name", "version"],
    "model-versions/update": ["name", "version", "description"],
    "model-versions/delete": ["name", "version"],
    "model-versions/transition-stage": ["name", "version", "stage", "archive_existing_versions"],
    "model-versions/search": ["filter", "order_by", "max_results", "page_token"],
    "model-versions/get-download-uri": ["name", "version"],
    "model-versions/set-tag": ["name", "version", "key", "value"],
    "model-versions/delete-tag": ["name", "version", "key"],
    "logged-models": ["experiment_id", "name", "model_type", "source_run_id", "params", "tags"],
    "logged-models/search": ["experiment_ids", "filter", "order_by", "datasets", "max_results"],
    "logged-models/{model_id}": ["status", "tags", "params"],
    "logged-models/{model_id}/tags": ["tags"],
    "logged-models/{model_id}/tags/{tag_key}": [],
    "logged-models/{model_id}/params": ["params"],
    "artifacts": ["path"],
    "artifacts/{path}": [],
    "mpu/create/{path}": ["path", "num_parts"],
    "mpu/complete/{path}": ["path", "upload_id", "parts"],
    "mpu/abort/{path}": ["path", "upload_id"],
    "mpu/parts/{upload_id}/{part_number}": [],
}


def _spec() -> dict[str, Any]:
    with warnings.catch_warnings():  # MLflow's routes share operation ids; irrelevant here
        warnings.simplefilter("ignore")
        return create_app(Settings()).openapi()


SPEC = _spec()


def _operations() -> list[tuple[str, str]]:
    """(method, path template) of every route in the app's route table, but the copies
    under /ajax-api (the same handlers as under /api)."""
    return [
        (method.upper(), path)
        for path, ops in SPEC["paths"].items()
        if not path.startswith("/ajax-api")
        for method in ops
    ]


OPERATIONS = _operations()


@pytest.fixture(
    scope="module",
    params=["open", "auth", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def fuzz(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict]]:
    """A server on a new SQLite (or PostgreSQL) store with one of each thing a route can
    name; with auth on, the permission rules run too (as a user who is not an admin, owning
    all of it)."""
    root: Path = tmp_path_factory.mktemp("fuzz")
    uri = f"sqlite:///{root}/tracklog.db"
    if request.param == "postgresql":
        uri = request.getfixturevalue("postgres_uri_factory")()
    auth = request.param == "auth"
    headers = {}
    if auth:
        store = Store(StoreLocation(resolve(uri).db_url, str(root / "art")))
        AuthStore(store).create_user("fuzzer", None, admin=False)
        headers["Authorization"] = f"Bearer {AuthStore(store).create_token('fuzzer', 't').secret}"
        store.close()
    settings = Settings(backend_store_uri=uri, artifacts_destination=str(root / "art"), auth=auth)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        m = "/api/2.0/mlflow"
        exp = client.post(f"{m}/experiments/create", json={"name": "fuzz"}).json()["experiment_id"]
        run = client.post(f"{m}/runs/create", json={"experiment_id": exp}).json()
        run_id = run["run"]["info"]["run_id"]
        metric = {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}
        client.post(f"{m}/runs/log-metric", json=metric)
        client.post(f"{m}/registered-models/create", json={"name": "model"})
        source = f"runs:/{run_id}/model"
        client.post(f"{m}/model-versions/create", json={"name": "model", "source": source})
        logged = client.post(f"{m}/logged-models", json={"experiment_id": exp}).json()
        native = client.post("/api/v1/runs", json={"project": "p", "config": {"lr": 0.1}}).json()
        ended = client.post("/api/v1/runs", json={"project": "p"}).json()["id"]
        client.post(f"/api/v1/runs/{ended}/finish", json={"status": "FINISHED"})
        ids = {
            "experiment": [exp, "0"],
            "run": [run_id, native["id"]],
            "logged_model": [logged["model"]["info"]["model_id"]],
            "model_name": ["model"],
            "project": ["p", "fuzz"],
            "ended_run": ended,  # for the event stream: one that has ended, so it ends at once
        }
        yield client, ids


def _value(kind: str, ids: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value for an argument of ``kind``: often a sensible one, often a hostile one."""
    if kind in ("experiment", "run", "logged_model", "model_name", "project"):
        sensible: st.SearchStrategy[Any] = st.sampled_from(ids[kind])
    elif kind == "int":
        sensible = st.integers(min_value=0, max_value=1000)
    elif kind == "bool":
        sensible = st.booleans()
    elif kind == "list":
        sensible = st.lists(text, max_size=3)
    elif kind == "objects":
        item = st.dictionaries(st.sampled_from(ITEM_FIELDS), hostile, max_size=4)
        sensible = st.lists(item, max_size=3)
    else:
        sensible = text
    return st.one_of(sensible, hostile)


def _mlflow_args(data: st.DataObject, names: list[str], ids: dict[str, Any]) -> dict[str, Any]:
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([]))
    args = {n: data.draw(_value(FIELDS.get(n, "text"), ids), label=n) for n in chosen}
    if data.draw(st.booleans()):  # and an argument no route reads
        args[data.draw(text)] = data.draw(hostile)
    return args


def _native_body(data: st.DataObject, schema: dict[str, Any], ids: dict[str, Any]) -> Any:
    """A body for a native route from its OpenAPI schema: each property sensible or hostile."""
    if "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    body = {}
    for name, prop in schema.get("properties", {}).items():
        if not data.draw(st.booleans(), label=f"send {name}"):
            continue
        kind = {"integer": "int", "boolean": "bool", "array": "list"}.get(prop.get("type"), "text")
        if name in ("run_id", "runs", "run_ids"):
            kind = "run"
        elif name in ("project", "projects"):
            kind = "project"
        value = data.draw(_value(kind, ids), label=name)
        body[name] = [value] if prop.get("type") == "array" and kind != "list" else value
    return body


def _ingest_body(data: st.DataObject, ids: dict[str, Any]) -> bytes:
    op = data.draw(st.sampled_from([*sorted(OPS), "no_such_op"]))
    args = data.draw(st.dictionaries(text, hostile, max_size=3))
    args["run_id"] = data.draw(st.one_of(st.sampled_from(ids["run"]), hostile))
    if op == "append_metrics" and data.draw(st.booleans()):
        n = data.draw(st.integers(0, 5))
        steps = np.arange(n, dtype=np.int64)
        context = data.draw(st.one_of(st.just(""), st.none(), text))
        args["batch"] = [SeriesPoints(data.draw(text), context, steps, np.ones(n), steps)]
    return encode_record(op, args)


def _raw_body(data: st.DataObject) -> bytes:
    """A body that is not the JSON a route expects."""
    return data.draw(
        st.one_of(
            st.binary(max_size=64),
            st.sampled_from(
                [
                    b"[" * 3000 + b"]" * 3000,
                    b'{"a": ' * 3000,
                    b'"\\ud800"',
                    b"\xff\xfe",
                    b"[1, 2",
                    b"NaN",
                    b"null",
                    b"[]",
                    b'{"name": "\xed\xa0\x80"}',
                ]
            ),
        )
    )


def _path_value(data: st.DataObject, name: str, ids: dict[str, Any]) -> str:
    kinds = {"run_id": "run", "model_id": "logged_model", "project": "project", "name": "project"}
    raw = data.draw(
        st.one_of(_value(kinds.get(name, "text"), ids), st.integers()).map(str), label=name
    )
    return quote(raw, safe="/" if name == "path" else "", errors="surrogatepass") or "x"


@pytest.mark.parametrize(
    ("method", "template"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS]
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_no_route_answers_a_5xx(
    fuzz: tuple[TestClient, dict[str, Any]], method: str, template: str, data: st.DataObject
) -> None:
    client, ids = fuzz
    path = template
    for part in template.split("{")[1:]:
        name = part.split("}")[0]
        path = path.replace(f"{{{name}}}", _path_value(data, name, ids))
    headers: dict[str, str] = {}
    params: Any = None
    content: bytes | None = None
    if template == "/api/v1/events":
        # Only streams that end at once: an ended run, or a project that does not exist.
        choice = data.draw(st.sampled_from(["runs", "project", "both", "none"]))
        params = {
            "runs": {"runs": ids["ended_run"]},
            "project": {"project": "no such project"},
            "both": {"runs": ids["ended_run"], "project": "p"},
            "none": {},
        }[choice]
    elif template == "/api/v1/ingest":
        headers["content-type"] = data.draw(st.sampled_from([MEDIA_TYPE, "application/json"]))
        content = _ingest_body(data, ids) if data.draw(st.booleans()) else _raw_body(data)
    elif template.startswith(MLFLOW_PREFIXES):
        args = _mlflow_args(data, MLFLOW_ROUTES.get(_mlflow_route(template), []), ids)
        if method == "GET":
            params = {
                _query(k): [_query(x) for x in v] if isinstance(v, list) else _query(v)
                for k, v in args.items()
            }
        elif "/artifacts/" in template or "/mpu/parts/" in template:
            content = data.draw(st.binary(max_size=64))
        elif data.draw(st.integers(0, 9)) == 0:
            content = _raw_body(data)
        else:
            content = json.dumps(args).encode()
            headers["content-type"] = "application/json"
    else:
        operation = SPEC["paths"][template][method.lower()]
        for p in operation.get("parameters", []):
            if p["in"] == "query" and data.draw(st.booleans()):
                params = {**(params or {}), p["name"]: _query(data.draw(hostile | text))}
            elif p["in"] == "header":
                headers[p["name"]] = data.draw(st.sampled_from([SERIES_MEDIA_TYPE, "*/*"]))
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            if data.draw(st.integers(0, 9)) == 0:
                content = _raw_body(data)
            else:
                content = json.dumps(_native_body(data, body["schema"], ids)).encode()
            headers["content-type"] = "application/json"
        elif method in ("PUT", "POST"):
            content = data.draw(st.binary(max_size=64))
    response = client.request(method, path, params=params, content=content, headers=headers)
    assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        body = response.json()  # raises if it is not JSON
        # The path the server saw ('..' is resolved by the client) decides the shape.
        mlflow = response.request.url.path.startswith(MLFLOW_PREFIXES)
        shape = {"error_code", "message"} if mlflow else {"error", "message"}
        assert set(body) == shape, f"{method} {path}: {body}"


def _mlflow_route(template: str) -> str:
    """An MLflow path template below its prefix, as :data:`MLFLOW_ROUTES` names it."""
    return template.split("/mlflow-artifacts/", 1)[-1].split("/mlflow/", 1)[-1]


def test_every_mlflow_route_is_described() -> None:
    # A new MLflow route gets its arguments described above, or the fuzz would send it none.
    routes = {_mlflow_route(t) for _, t in OPERATIONS if t.startswith(MLFLOW_PREFIXES)}
    assert routes - {"server-info"} == set(MLFLOW_ROUTES)


def _query(value: Any) -> str:
    """A query-string value: text as it is (a lone surrogate travels as its UTF-8 bytes'
    replacement), anything else as JSON."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return json.dumps(value)
