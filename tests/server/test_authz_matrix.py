"""The authorization matrix, generated from the app's route table: a user without access to
another user's project calls every route of every router (native ``/api/v1``, the UI's JSON
routes and event stream, ingest, MLflow tracking, artifacts, registry and logged models, under
``/api`` and ``/ajax-api``) with that user's ids filled in, and is refused, or answered with
nothing of theirs. The owner's same call succeeds, so a refusal is the permission's doing, not
a malformed request's. A route missing from :data:`MATRIX` fails the test: a new route needs a
rule here, or an :class:`Open` entry saying why anyone may call it.

In-process (the ASGI app with its lifespan, on SQLite and PostgreSQL), so it is quick enough
for every CI run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tracklog.server.app import create_app
from tracklog.server.settings import Settings
from tracklog.store.records import MediaItem, SeriesPoints
from tracklog.store.wire import MEDIA_TYPE, encode_record

MARK = "alices-secret-7f3a"  # in the owner's config, tags, params, names and files
ML, ART = "/api/2.0/mlflow", "/api/2.0/mlflow-artifacts"


@dataclass
class World:
    """The owner's (alice's) and the outsider's (bob's) ids, and a client for each."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    ids: dict[str, str] = field(default_factory=dict)

    def call(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        kwargs["headers"] = {**kwargs.get("headers", {}), **self.headers[user]}
        return self.client.request(method, path, **kwargs)

    def ok(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.call(user, method, path, **kwargs)
        assert answer.is_success, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def secrets(self) -> list[str]:
        """What of the owner's must never reach the outsider."""
        keys = ("project", "run", "mlrun", "model", "model2")
        return [MARK, *(self.ids[k] for k in keys)]


@dataclass(frozen=True)
class Call:
    """The outsider's request (``{name}`` fields filled from :attr:`World.ids`). ``hide``:
    the route may answer, with nothing of the owner's; else it must refuse (403/404).
    ``control``: the owner's same request must succeed (off for a stream that would last,
    for a request naming the outsider's own ids too, and for what only makes the outsider's
    own object). ``prepare`` runs first, as the owner."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    content: Callable[[dict[str, str]], bytes] | bytes | None = None
    headers: dict[str, str] | None = None
    hide: bool = False
    control: bool = True
    prepare: Callable[[World], None] | None = None

    def request(self, world: World, user: str, prefix: str) -> Any:
        fill = world.ids
        path = self.path.format(**fill)
        if prefix != "/api" and path.startswith("/api/2.0/mlflow"):
            path = prefix + path.removeprefix("/api")
        kwargs: dict[str, Any] = {"headers": dict(self.headers or {})}
        if self.params is not None:
            kwargs["params"] = _fill(self.params, fill)
        if self.json is not None:
            kwargs["json"] = _fill(self.json, fill)
        if callable(self.content):
            kwargs["content"] = self.content(fill)
        elif self.content is not None:
            kwargs["content"] = self.content
        return world.call(user, self.method, path, **kwargs)


@dataclass(frozen=True)
class Open:
    """A route anyone (with credentials, or without where said) may call, and why."""

    reason: str


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _points(run_id: str, batch_id: str) -> bytes:
    points = SeriesPoints("loss", "", np.arange(3), np.ones(3), np.arange(3, dtype=np.int64))
    return encode_record(
        "append_metrics", {"run_id": run_id, "batch": [points], "batch_id": batch_id}
    )


def _table(run_id: str, batch_id: str) -> bytes:
    """A logged table holding the owner's secret."""
    import pandas as pd

    from media_values import parquet

    data = parquet(pd.DataFrame({"secret": [MARK]}))
    item = MediaItem("secret-table", "", 0, 1, "table", data, "parquet")
    return encode_record("log_media", {"run_id": run_id, "items": [item], "batch_id": batch_id})


def _upload(world: World) -> None:
    """A multipart upload of the owner's, with its one part sent (for complete and abort)."""
    made = world.ok(
        "alice",
        "POST",
        f"{ART}/mpu/create/{world.ids['exp']}/{world.ids['mlrun']}/artifacts",
        json={"path": "big.bin", "num_parts": 1},
    )
    world.ids["upload"] = made["upload_id"]
    world.ok("alice", "PUT", f"{ART}/mpu/parts/{made['upload_id']}/1", content=b"part")


def _model_links(path: str) -> tuple[Call, Call]:
    """A run's model inputs or outputs: the owner's run, then the outsider's own run linked
    to the owner's logged model."""
    models = [{"model_id": "{model}"}]
    return (
        Call("POST", path, json={"run_id": "{mlrun}", "models": models}),
        Call("POST", path, json={"run_id": "{bob_run}", "models": models}, control=False),
    )


def _mixed(
    method: str, path: str, name: str, run: str, *, json: Any = None, params: Any = None
) -> tuple[Call, Call]:
    """A route reading a list of runs in argument ``name``: the owner's ``run``, then the
    outsider's own run with it."""

    def call(runs: list[str], control: bool) -> Call:
        if params is not None:
            return Call(method, path, params={**params, name: runs}, control=control)
        return Call(method, path, json={**(json or {}), name: runs}, control=control)

    return call([run], True), call(["{bob_run}", run], False)


RUN, MLRUN = "/api/v1/runs/{run}", "{exp}/{mlrun}/artifacts"
SWEEP = "/api/v1/sweeps/{sweep}"
SWEEP_CONFIG = {"method": "grid", "parameters": {"x": {"values": [1, 2, 3]}}}
MPU_BODY = {"path": "big.bin", "upload_id": "{upload}", "parts": [{"part_number": 1}]}
INGEST = Call(
    "POST",
    "/api/v1/ingest",
    content=lambda ids: encode_record("set_tags", {"run_id": ids["run"], "tags": {"x": "y"}}),
    headers={"content-type": MEDIA_TYPE},
)
ANY = "DELETE|GET|PATCH|POST|PUT"  # a key's methods, "|"-separated
REGISTRY = (
    "the registry is readable by every user (MLflow basic-auth's default READ); a version "
    "links only runs and logged models its creator may read"
)

# Every route, in the order the calls run: the owner's deletions come after all else.
MATRIX: dict[tuple[str, str], Call | tuple[Call, ...] | Open] = {
    ("GET", "/health"): Open("liveness for load balancers, no data"),
    ("GET", "/api/v1/openapi.json"): Open("the API's description, no data"),
    ("GET", "/api/v1/docs"): Open("the API's documentation page, no data"),
    ("GET", "/docs/oauth2-redirect"): Open("part of the API documentation page, no data"),
    ("GET", "/"): Open("the web UI's page: it reads only the API, which checks"),
    ("GET", "/ui/plotly.min.js"): Open("the web UI's charting library"),
    ("GET", "/ui/plotly-basic.min.js"): Open("the web UI's charting library, line charts only"),
    ("*", "/ui"): Open("the web UI's static files"),
    ("GET", "/api/3.0/mlflow/server-info"): Open("capabilities, open as MLflow's"),
    ("PUT", f"{ART}/mpu/parts/{{upload_id}}/{{part_number}}"): Open(
        "a multipart upload's part URL: its upload id is the secret (no credentials)"
    ),
    (ANY, f"{ML}/{{path}}"): Open("answers ENDPOINT_NOT_FOUND for unknown MLflow paths"),
    (ANY, f"{ART}/{{path}}"): Open("answers ENDPOINT_NOT_FOUND for unknown artifact paths"),
    # native /api/v1
    ("GET", "/api/v1/projects"): (
        Call("GET", "/api/v1/projects", hide=True),
        Call("GET", "/api/v1/projects?name={project}", hide=True),
    ),
    ("GET", "/api/v1/projects/{project}/permissions"): Call(
        "GET", "/api/v1/projects/{project}/permissions"
    ),
    ("PUT", "/api/v1/projects/{project}/permissions/{user}"): Call(
        "PUT", "/api/v1/projects/{project}/permissions/carol", json={"permission": "READ"}
    ),
    ("DELETE", "/api/v1/projects/{project}/permissions/{user}"): Call(
        "DELETE", "/api/v1/projects/{project}/permissions/carol"
    ),
    ("POST", "/api/v1/sweeps"): Call(
        "POST", "/api/v1/sweeps", json={"project": "{project}", "config": SWEEP_CONFIG}
    ),
    ("GET", "/api/v1/sweeps"): Call("GET", "/api/v1/sweeps", params={"project": "{project}"}),
    ("GET", "/api/v1/sweeps/{sweep_id}"): Call("GET", SWEEP),
    ("GET", "/api/v1/sweeps/{sweep_id}/trials"): Call("GET", f"{SWEEP}/trials"),
    ("POST", "/api/v1/sweeps/{sweep_id}/claims"): Call(
        "POST",
        f"{SWEEP}/claims",
        json={"number": 1, "params": {"x": 2}, "run_id": "trial1", "owner": {}},
    ),
    ("POST", "/api/v1/sweeps/{sweep_id}/trials/{number}/heartbeat"): Call(
        "POST", f"{SWEEP}/trials/0/heartbeat", json={"run_id": "trial0"}
    ),
    ("POST", "/api/v1/sweeps/{sweep_id}/trials/{number}/stop"): Call(
        "POST", f"{SWEEP}/trials/0/stop", json={"reason": "behind"}
    ),
    ("POST", "/api/v1/sweeps/{sweep_id}/trials/{number}/end"): Call(
        "POST", f"{SWEEP}/trials/0/end", json={"run_id": "trial0", "status": "FINISHED"}
    ),
    ("POST", "/api/v1/sweeps/{sweep_id}/control"): Call(
        "POST", f"{SWEEP}/control", json={"action": "pause"}
    ),
    ("POST", "/api/v1/runs"): Call("POST", "/api/v1/runs", json={"project": "{project}"}),
    ("GET", "/api/v1/runs/{run_id}"): Call("GET", RUN),
    ("POST", "/api/v1/runs/search"): (
        Call("POST", "/api/v1/runs/search", json={}, hide=True),
        Call("POST", "/api/v1/runs/search", json={"projects": ["{project}"]}),
        Call(
            "POST", "/api/v1/runs/search", json={"projects": ["bobs", "{project}"]}, control=False
        ),
    ),
    ("PATCH", "/api/v1/runs/{run_id}"): Call("PATCH", RUN, json={"notes": "changed"}),
    ("POST", "/api/v1/runs/{run_id}/resume"): Call("POST", f"{RUN}/resume", json={}),
    ("POST", "/api/v1/runs/{run_id}/heartbeat"): Call("POST", f"{RUN}/heartbeat"),
    ("POST", "/api/v1/runs/{run_id}/config"): Call(
        "POST", f"{RUN}/config", json={"updates": {"lr": 0.2}}
    ),
    ("GET", "/api/v1/runs/{run_id}/config/history"): Call("GET", f"{RUN}/config/history"),
    ("POST", "/api/v1/runs/{run_id}/tags"): Call("POST", f"{RUN}/tags", json={"tags": {"a": "b"}}),
    ("DELETE", "/api/v1/runs/{run_id}/tags/{key}"): Call("DELETE", f"{RUN}/tags/a"),
    ("POST", "/api/v1/runs/{run_id}/labels"): Call("POST", f"{RUN}/labels", json={"labels": ["l"]}),
    ("POST", "/api/v1/runs/{run_id}/labels/remove"): Call(
        "POST", f"{RUN}/labels/remove", json={"labels": ["l"]}
    ),
    ("POST", "/api/v1/runs/{run_id}/summary"): Call(
        "POST", f"{RUN}/summary", json={"values": {"best": 1}}
    ),
    ("POST", "/api/v1/runs/{run_id}/alerts"): Call(
        "POST", f"{RUN}/alerts", json={"alert_id": "a1", "title": "loss is NaN"}
    ),
    ("GET", "/api/v1/runs/{run_id}/alerts"): Call("GET", f"{RUN}/alerts"),
    ("POST", "/api/v1/runs/{run_id}/metric-defs"): Call(
        "POST", f"{RUN}/metric-defs", json={"defs": [{"name": "loss", "summary": "min"}]}
    ),
    ("POST", "/api/v1/runs/page"): (
        Call("POST", "/api/v1/runs/page", json={}, hide=True),
        Call("POST", "/api/v1/runs/page", json={"projects": ["{project}"]}),
    ),
    ("GET", "/api/v1/runs/{run_id}/series"): Call("GET", f"{RUN}/series"),
    ("GET", "/api/v1/runs/{run_id}/series/{key}"): Call("GET", f"{RUN}/series/loss"),
    ("GET", "/api/v1/runs/{run_id}/media"): Call("GET", f"{RUN}/media"),
    ("GET", "/api/v1/runs/{run_id}/media-keys"): Call("GET", f"{RUN}/media-keys"),
    ("GET", "/api/v1/runs/{run_id}/histograms"): Call(
        "GET", f"{RUN}/histograms", params={"key": "w"}
    ),
    ("GET", "/api/v1/runs/{run_id}/tables/{key}"): Call("GET", f"{RUN}/tables/secret-table"),
    ("POST", "/api/v1/ingest"): INGEST,
    ("GET", "/api/v1/runs/{run_id}/artifacts"): Call("GET", f"{RUN}/artifacts"),
    ("PUT", "/api/v1/runs/{run_id}/artifacts/{path}"): Call(
        "PUT", f"{RUN}/artifacts/new.txt", content=b"x"
    ),
    ("GET", "/api/v1/runs/{run_id}/artifacts/{path}"): Call("GET", f"{RUN}/artifacts/secret.txt"),
    ("GET", "/api/v1/projects/{name}/keys"): Call("GET", "/api/v1/projects/{project}/keys"),
    ("POST", "/api/v1/series/batch"): _mixed(
        "POST", "/api/v1/series/batch", "runs", "{run}", json={"keys": [{"key": "loss"}]}
    ),
    ("POST", "/api/v1/series/stats"): _mixed("POST", "/api/v1/series/stats", "runs", "{run}"),
    ("POST", "/api/v1/runs/{run_id}/finish"): Call("POST", f"{RUN}/finish", json={}),
    # A run's stream ends once none of its runs is RUNNING, so it comes after finish (bob's
    # run is finished too): an outsider let in would not hang the test; a project's stream
    # lasts STREAM_S (30 s), so the owner's is not opened.
    ("GET", "/api/v1/events"): (
        Call("GET", "/api/v1/events", params={"runs": "{run}"}),
        Call("GET", "/api/v1/events", params={"runs": "{bob_run},{run}"}, control=False),
        Call("GET", "/api/v1/events", params={"project": "{project}"}, control=False),
    ),
    # MLflow tracking
    ("POST", f"{ML}/experiments/create"): Call(
        "POST", f"{ML}/experiments/create", json={"name": "bobs-new"}, hide=True, control=False
    ),
    ("GET", f"{ML}/experiments/get"): Call(
        "GET", f"{ML}/experiments/get", params={"experiment_id": "{exp}"}
    ),
    ("GET", f"{ML}/experiments/get-by-name"): Call(
        "GET", f"{ML}/experiments/get-by-name", params={"experiment_name": "{project}"}
    ),
    ("GET", f"{ML}/experiments/search"): Call("GET", f"{ML}/experiments/search", hide=True),
    ("POST", f"{ML}/experiments/search"): Call(
        "POST", f"{ML}/experiments/search", json={"max_results": 10}, hide=True
    ),
    ("POST", f"{ML}/experiments/set-experiment-tag"): Call(
        "POST",
        f"{ML}/experiments/set-experiment-tag",
        json={"experiment_id": "{exp}", "key": "k", "value": "v"},
    ),
    ("POST", f"{ML}/experiments/delete-experiment-tag"): Call(
        "POST",
        f"{ML}/experiments/delete-experiment-tag",
        json={"experiment_id": "{exp}", "key": "k"},
    ),
    ("DELETE", f"{ML}/experiments/delete-experiment-tag"): Call(
        "DELETE",
        f"{ML}/experiments/delete-experiment-tag",
        json={"experiment_id": "{exp}", "key": "t"},
    ),
    ("POST", f"{ML}/runs/create"): Call(
        "POST", f"{ML}/runs/create", json={"experiment_id": "{exp}"}
    ),
    ("GET", f"{ML}/runs/get"): Call("GET", f"{ML}/runs/get", params={"run_id": "{mlrun}"}),
    ("GET", f"{ML}/runs/search"): Call(
        "GET", f"{ML}/runs/search", params={"experiment_ids": "{exp}"}, hide=True
    ),
    ("POST", f"{ML}/runs/search"): (
        Call("POST", f"{ML}/runs/search", json={"experiment_ids": ["{exp}"]}, hide=True),
        Call("POST", f"{ML}/runs/search", json={"experiment_ids": []}, hide=True, control=False),
        Call(
            "POST", f"{ML}/runs/search", json={"experiment_ids": ["{bob_exp}", "{exp}"]}, hide=True
        ),
    ),
    ("POST", f"{ML}/runs/update"): Call(
        "POST", f"{ML}/runs/update", json={"run_id": "{mlrun}", "run_name": "renamed"}
    ),
    ("POST", f"{ML}/runs/log-metric"): Call(
        "POST",
        f"{ML}/runs/log-metric",
        json={"run_id": "{mlrun}", "key": "m", "value": 1, "timestamp": 1, "step": 0},
    ),
    ("POST", f"{ML}/runs/log-parameter"): Call(
        "POST", f"{ML}/runs/log-parameter", json={"run_id": "{mlrun}", "key": "p2", "value": "v"}
    ),
    ("POST", f"{ML}/runs/log-batch"): Call(
        "POST",
        f"{ML}/runs/log-batch",
        json={"run_id": "{mlrun}", "tags": [{"key": "b", "value": "c"}]},
    ),
    ("POST", f"{ML}/runs/set-tag"): Call(
        "POST", f"{ML}/runs/set-tag", json={"run_id": "{mlrun}", "key": "s", "value": "t"}
    ),
    ("POST", f"{ML}/runs/delete-tag"): Call(
        "POST", f"{ML}/runs/delete-tag", json={"run_id": "{mlrun}", "key": "s"}
    ),
    ("POST", f"{ML}/runs/log-inputs"): _model_links(f"{ML}/runs/log-inputs"),
    ("POST", f"{ML}/runs/outputs"): _model_links(f"{ML}/runs/outputs"),
    ("GET", f"{ML}/metrics/get-history"): Call(
        "GET", f"{ML}/metrics/get-history", params={"run_id": "{mlrun}", "metric_key": "acc"}
    ),
    ("GET", f"{ML}/metrics/get-history-bulk-interval"): _mixed(
        "GET",
        f"{ML}/metrics/get-history-bulk-interval",
        "run_ids",
        "{mlrun}",
        params={"metric_key": "acc"},
    ),
    # logged models
    ("POST", f"{ML}/logged-models"): (
        Call("POST", f"{ML}/logged-models", json={"experiment_id": "{exp}", "name": "x"}),
        Call(  # in the outsider's own experiment, from the owner's run
            "POST",
            f"{ML}/logged-models",
            json={"experiment_id": "{bob_exp}", "source_run_id": "{mlrun}"},
            control=False,
        ),
    ),
    ("POST", f"{ML}/logged-models/search"): Call(
        "POST", f"{ML}/logged-models/search", json={"experiment_ids": ["{exp}"]}, hide=True
    ),
    ("GET", f"{ML}/logged-models/{{model_id}}"): Call("GET", f"{ML}/logged-models/{{model}}"),
    ("PATCH", f"{ML}/logged-models/{{model_id}}"): Call(
        "PATCH", f"{ML}/logged-models/{{model}}", json={"status": "LOGGED_MODEL_READY"}
    ),
    ("PATCH", f"{ML}/logged-models/{{model_id}}/tags"): Call(
        "PATCH", f"{ML}/logged-models/{{model}}/tags", json={"tags": [{"key": "k", "value": "v"}]}
    ),
    ("DELETE", f"{ML}/logged-models/{{model_id}}/tags/{{tag_key}}"): Call(
        "DELETE", f"{ML}/logged-models/{{model}}/tags/k"
    ),
    ("POST", f"{ML}/logged-models/{{model_id}}/params"): Call(
        "POST",
        f"{ML}/logged-models/{{model}}/params",
        json={"params": [{"key": "p", "value": "1"}]},
    ),
    # registry: read by all; changed by the model's creator
    ("POST", f"{ML}/registered-models/create"): Call(
        "POST", f"{ML}/registered-models/create", json={"name": "bobs"}, hide=True, control=False
    ),
    ("GET", f"{ML}/registered-models/get"): Open(REGISTRY),
    ("GET", f"{ML}/registered-models/search"): Open(REGISTRY),
    ("GET", f"{ML}/registered-models/get-latest-versions"): Open(REGISTRY),
    ("POST", f"{ML}/registered-models/get-latest-versions"): Open(REGISTRY),
    ("GET", f"{ML}/registered-models/alias"): Open(REGISTRY),
    ("GET", f"{ML}/model-versions/get"): Open(REGISTRY),
    ("GET", f"{ML}/model-versions/search"): Open(REGISTRY),
    ("GET", f"{ML}/model-versions/get-download-uri"): Open(REGISTRY),
    ("POST", f"{ML}/registered-models/rename"): Call(
        "POST",
        f"{ML}/registered-models/rename",
        json={"name": "alice-old", "new_name": "alice-new"},
    ),
    ("PATCH", f"{ML}/registered-models/update"): Call(
        "PATCH", f"{ML}/registered-models/update", json={"name": "alice-model", "description": "d"}
    ),
    ("POST", f"{ML}/registered-models/set-tag"): Call(
        "POST",
        f"{ML}/registered-models/set-tag",
        json={"name": "alice-model", "key": "k", "value": "v"},
    ),
    ("DELETE", f"{ML}/registered-models/delete-tag"): Call(
        "DELETE", f"{ML}/registered-models/delete-tag", json={"name": "alice-model", "key": "k"}
    ),
    ("POST", f"{ML}/registered-models/alias"): Call(
        "POST",
        f"{ML}/registered-models/alias",
        json={"name": "alice-model", "alias": "champion", "version": "1"},
    ),
    ("DELETE", f"{ML}/registered-models/alias"): Call(
        "DELETE", f"{ML}/registered-models/alias", json={"name": "alice-model", "alias": "champion"}
    ),
    ("POST", f"{ML}/model-versions/create"): (
        Call(
            "POST",
            f"{ML}/model-versions/create",
            json={"name": "alice-model", "source": "runs:/{mlrun}/m"},
        ),
        Call(  # into the outsider's own model, from the owner's logged model
            "POST",
            f"{ML}/model-versions/create",
            json={"name": "bobs-linker", "source": "models:/{model}"},
            control=False,
        ),
    ),
    ("PATCH", f"{ML}/model-versions/update"): Call(
        "PATCH",
        f"{ML}/model-versions/update",
        json={"name": "alice-model", "version": "1", "description": "d"},
    ),
    ("POST", f"{ML}/model-versions/transition-stage"): Call(
        "POST",
        f"{ML}/model-versions/transition-stage",
        json={"name": "alice-model", "version": "1", "stage": "Staging"},
    ),
    ("POST", f"{ML}/model-versions/set-tag"): Call(
        "POST",
        f"{ML}/model-versions/set-tag",
        json={"name": "alice-model", "version": "1", "key": "k", "value": "v"},
    ),
    ("DELETE", f"{ML}/model-versions/delete-tag"): Call(
        "DELETE",
        f"{ML}/model-versions/delete-tag",
        json={"name": "alice-model", "version": "1", "key": "k"},
    ),
    # artifacts
    ("GET", f"{ART}/artifacts"): (
        Call("GET", f"{ART}/artifacts", params={"path": MLRUN}),
        Call("GET", f"{ART}/artifacts", json={"path": MLRUN}),
        Call("GET", f"{ART}/artifacts", params={"path": "{bob_exp}"}, json={"path": MLRUN}),
    ),
    ("GET", f"{ART}/artifacts/{{path}}"): Call("GET", f"{ART}/artifacts/{MLRUN}/secret.txt"),
    ("PUT", f"{ART}/artifacts/{{path}}"): Call(
        "PUT", f"{ART}/artifacts/{MLRUN}/new.txt", content=b"x"
    ),
    ("POST", f"{ART}/mpu/create/{{path}}"): Call(
        "POST", f"{ART}/mpu/create/{MLRUN}", json={"path": "big.bin", "num_parts": 1}
    ),
    ("POST", f"{ART}/mpu/complete/{{path}}"): Call(
        "POST", f"{ART}/mpu/complete/{MLRUN}", json=MPU_BODY, prepare=_upload
    ),
    ("POST", f"{ART}/mpu/abort/{{path}}"): Call(
        "POST", f"{ART}/mpu/abort/{MLRUN}", json=MPU_BODY, prepare=_upload
    ),
    # the owner's deletions, then restores
    ("DELETE", f"{ART}/artifacts/{{path}}"): Call("DELETE", f"{ART}/artifacts/{MLRUN}/doomed.txt"),
    ("DELETE", f"{ML}/logged-models/{{model_id}}"): Call(
        "DELETE", f"{ML}/logged-models/{{model2}}"
    ),
    ("DELETE", f"{ML}/model-versions/delete"): Call(
        "DELETE", f"{ML}/model-versions/delete", json={"name": "alice-model", "version": "2"}
    ),
    ("DELETE", f"{ML}/registered-models/delete"): Call(
        "DELETE", f"{ML}/registered-models/delete", json={"name": "alice-doomed"}
    ),
    ("DELETE", "/api/v1/runs/{run_id}"): Call("DELETE", RUN),
    ("POST", "/api/v1/runs/{run_id}/restore"): Call("POST", f"{RUN}/restore"),
    ("POST", f"{ML}/runs/delete"): Call("POST", f"{ML}/runs/delete", json={"run_id": "{mlrun}"}),
    ("POST", f"{ML}/runs/restore"): Call("POST", f"{ML}/runs/restore", json={"run_id": "{mlrun}"}),
    ("POST", f"{ML}/experiments/delete"): Call(
        "POST", f"{ML}/experiments/delete", json={"experiment_id": "{exp}"}
    ),
    ("POST", f"{ML}/experiments/restore"): Call(
        "POST", f"{ML}/experiments/restore", json={"experiment_id": "{exp}"}
    ),
    ("POST", f"{ML}/experiments/update"): Call(
        "POST", f"{ML}/experiments/update", json={"experiment_id": "{exp}", "new_name": "renamed"}
    ),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, ``/ajax-api`` as ``/api`` (the same handlers) and
    a path parameter's converter dropped; ``*`` for a mount."""
    out = set()
    for path, methods in _walk(app.router.routes, ""):
        path = path.replace("/ajax-api/", "/api/", 1).replace(":path}", "}")
        out |= {(m, path) for m in methods - {"HEAD"}}
    return out


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + route.path, set(getattr(route, "methods", None) or {"*"})


def _calls(entry: Call | tuple[Call, ...] | Open) -> tuple[Call, ...]:
    if isinstance(entry, Open):
        return ()
    return entry if isinstance(entry, tuple) else (entry,)


def _world(client: TestClient, app: FastAPI) -> World:
    """Alice's project (native and MLflow runs with secrets, files, a logged model, registered
    models) and Bob's own project; Bob has no grant on Alice's."""
    auth = app.state.auth
    headers = {}
    for name in ("alice", "bob", "carol"):
        auth.create_user(name, None)
        headers[name] = {"authorization": f"Bearer {auth.create_token(name, 'tests').secret}"}
    world = World(client, headers)
    ids = world.ids
    ids["project"] = "alices"
    run = world.ok(
        "alice", "POST", "/api/v1/runs", json={"project": "alices", "config": {"k": MARK}}
    )
    ids["run"] = run["id"]
    sweep = {**SWEEP_CONFIG, "name": MARK}
    made = world.ok("alice", "POST", "/api/v1/sweeps", json={"project": "alices", "config": sweep})
    ids["sweep"] = made["id"]
    world.ok(
        "alice",
        "POST",
        f"/api/v1/sweeps/{ids['sweep']}/claims",
        json={"number": 0, "params": {"x": 1}, "run_id": "trial0", "owner": {}},
    )
    world.ok("alice", "POST", f"/api/v1/runs/{run['id']}/tags", json={"tags": {"a": MARK}})
    world.ok(
        "alice", "PUT", f"/api/v1/runs/{run['id']}/artifacts/secret.txt", content=MARK.encode()
    )
    body = _points(run["id"], "b1") + _table(run["id"], "b2")
    world.ok("alice", "POST", "/api/v1/ingest", content=body, headers={"content-type": MEDIA_TYPE})
    exp = world.ok(
        "alice", "GET", f"{ML}/experiments/get-by-name", params={"experiment_name": "alices"}
    )
    ids["exp"] = exp["experiment"]["experiment_id"]
    world.ok(
        "alice",
        "POST",
        f"{ML}/experiments/set-experiment-tag",
        json={"experiment_id": ids["exp"], "key": "t", "value": MARK},
    )
    mlrun = world.ok(
        "alice", "POST", f"{ML}/runs/create", json={"experiment_id": ids["exp"], "run_name": MARK}
    )
    ids["mlrun"] = mlrun["run"]["info"]["run_id"]
    ml = {"run_id": ids["mlrun"]}
    world.ok("alice", "POST", f"{ML}/runs/log-parameter", json={**ml, "key": "p", "value": MARK})
    world.ok(
        "alice",
        "POST",
        f"{ML}/runs/log-metric",
        json={**ml, "key": "acc", "value": 1, "timestamp": 1, "step": 0},
    )
    for name in ("secret.txt", "doomed.txt"):
        world.ok(
            "alice",
            "PUT",
            f"{ART}/artifacts/{ids['exp']}/{ids['mlrun']}/artifacts/{name}",
            content=MARK.encode(),
        )
    for key in ("model", "model2"):
        made = world.ok(
            "alice",
            "POST",
            f"{ML}/logged-models",
            json={"experiment_id": ids["exp"], "name": MARK, "source_run_id": ids["mlrun"]},
        )
        ids[key] = made["model"]["info"]["model_id"]
    world.ok(
        "alice",
        "PATCH",
        f"{ML}/logged-models/{ids['model']}/tags",
        json={"tags": [{"key": "k", "value": MARK}]},
    )
    for name in ("alice-model", "alice-doomed", "alice-old"):
        world.ok("alice", "POST", f"{ML}/registered-models/create", json={"name": name})
    for _ in range(2):
        world.ok(
            "alice",
            "POST",
            f"{ML}/model-versions/create",
            json={"name": "alice-model", "source": f"models:/{ids['model']}"},
        )
    world.ok(
        "alice",
        "POST",
        f"{ML}/registered-models/set-tag",
        json={"name": "alice-model", "key": "k", "value": "v"},
    )
    world.ok(
        "alice",
        "POST",
        f"{ML}/model-versions/set-tag",
        json={"name": "alice-model", "version": "1", "key": "k", "value": "v"},
    )

    world.ok("bob", "POST", "/api/v1/runs", json={"project": "bobs"})
    bob_exp = world.ok(
        "bob", "GET", f"{ML}/experiments/get-by-name", params={"experiment_name": "bobs"}
    )
    ids["bob_exp"] = bob_exp["experiment"]["experiment_id"]
    bob_run = world.ok("bob", "POST", f"{ML}/runs/create", json={"experiment_id": ids["bob_exp"]})
    ids["bob_run"] = bob_run["run"]["info"]["run_id"]
    world.ok("bob", "POST", f"/api/v1/runs/{ids['bob_run']}/finish", json={})
    world.ok("bob", "POST", f"{ML}/registered-models/create", json={"name": "bobs-linker"})
    return world


def _refused(answer: Any) -> bool:
    """403, or 404 from the route itself (not the catch-all's unknown endpoint)."""
    if answer.status_code == 403:
        return True
    return answer.status_code == 404 and "ENDPOINT_NOT_FOUND" not in answer.text


def _app(uri: str, folder: Path) -> FastAPI:
    settings = Settings(
        backend_store_uri=uri, artifacts_destination=str(folder / "artifacts"), auth=True
    )
    return create_app(settings)


def test_every_route_has_an_entry_in_the_matrix(tmp_path: Path) -> None:
    served = app_routes(_app(f"sqlite:///{tmp_path / 'tracklog.db'}", tmp_path))
    listed = {(m, path) for methods, path in MATRIX for m in methods.split("|")}
    assert served - listed == set(), "routes without an entry in MATRIX"
    assert listed - served == set(), "MATRIX entries for routes the app does not serve"


@pytest.mark.parametrize("prefix", ["/api", "/ajax-api"])
def test_an_outsider_is_refused_every_route_of_anothers_project(
    store_uri: str, tmp_path: Path, prefix: str
) -> None:
    app = _app(store_uri, tmp_path)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = _world(client, app)
        secrets = world.secrets()
        failures = []
        for (method, template), entry in MATRIX.items():
            for call in _calls(entry):
                if prefix != "/api" and not call.path.startswith("/api/2.0/"):
                    continue  # only MLflow's routes have an /ajax-api twin
                if call.prepare is not None:
                    call.prepare(world)
                answer = call.request(world, "bob", prefix)
                what = (
                    f"{method} {template} {call}: bob got {answer.status_code} {answer.text[:200]}"
                )
                if call.hide:
                    if answer.status_code >= 500 or any(s in answer.text for s in secrets):
                        failures.append(what)
                elif not _refused(answer):
                    failures.append(what)
                if call.control:
                    mine = call.request(world, "alice", prefix)
                    if not mine.is_success:
                        failures.append(f"{what}; alice got {mine.status_code} {mine.text[:200]}")
                    elif call.hide and not any(s in mine.text for s in secrets):
                        failures.append(f"{what}; alice's answer shows none of her data")
        assert not failures, "\n".join(failures)
