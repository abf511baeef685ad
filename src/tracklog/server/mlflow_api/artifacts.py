"""MLflow's proxied artifact routes (``mlflow_artifacts.proto``): upload, download, delete and
list under ``/api/2.0/mlflow-artifacts/artifacts``.

A run's artifact URI is ``mlflow-artifacts:/<experiment id>/<run id>/artifacts``, so a path
``<experiment id>/<run id>/artifacts/<file>`` is that run's file ``<file>`` (listed by
``tracklog.Api().run(id).files()`` like any other). Every other path (logged models, for one)
is stored as it is under the server's artifact root. Paths are confined with ``safe_relpath``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.server.encoding import WireJSON
from tracklog.server.mlflow_api.routing import Args, mlflow_router
from tracklog.server.streaming import file_response, spooled_body
from tracklog.store.artifacts import safe_relpath
from tracklog.store.records import RunRecord
from tracklog.store.tracking import Store

router = mlflow_router()


@dataclass(frozen=True)
class Target:
    """Where an artifact path lands: a run's file, or a path under the artifact root."""

    run_id: str | None
    path: str | None  # None: the run's (or the root's) top folder


def resolve(store: Store, path: str | None) -> Target:
    """The target of ``path`` (None or "" is the artifact root)."""
    if not path:
        return Target(None, None)
    path = safe_relpath(path)
    parts = path.split("/", 3)
    if len(parts) >= 3 and parts[2] == "artifacts" and parts[0].isdigit():
        try:
            run: RunRecord | None = store.get_run(parts[1])
        except NotFoundError:  # no such run: an ordinary path
            run = None
        if run is not None and str(run.experiment_id) == parts[0]:
            return Target(run.id, parts[3] if len(parts) == 4 else None)
    return Target(None, path)


def _file(store: Store, path: str) -> Target:
    """The target of a file's path (a run's top folder is not one)."""
    target = resolve(store, path)
    if target.path is None:
        raise InvalidValueError(f"artifact path {path!r} names a run's folder, not a file")
    return target


def _write(store: Store, path: str, body: Iterator[bytes]) -> None:
    target = _file(store, path)
    if target.run_id is not None:
        store.write_file(target.run_id, target.path, body)
    else:
        store.artifacts.write(store.artifacts.root, target.path, body)


def _open(store: Store, path: str) -> BinaryIO:
    target = _file(store, path)
    if target.run_id is not None:
        return store.open_file(target.run_id, target.path)
    return store.artifacts.open(store.artifacts.root, target.path)


def _delete(store: Store, path: str) -> None:
    target = _file(store, path)
    if target.run_id is not None:
        store.delete_file(target.run_id, target.path)
    else:
        store.artifacts.delete(store.artifacts.root, target.path)


def _list(store: Store, path: str | None) -> dict[str, Any]:
    target = resolve(store, path)
    root = store.get_run(target.run_id).artifact_uri if target.run_id else store.artifacts.root
    files = []
    for name, is_dir, size in store.artifacts.listdir(root, target.path):
        entry: dict[str, Any] = {"path": name, "is_dir": is_dir}
        if not is_dir:
            entry["file_size"] = size
        files.append(entry)
    return {"files": files}


@router.put("/artifacts/{path:path}")
async def upload(path: str, request: Request) -> Response:
    """Store the request body as the artifact at ``path``."""
    store = request.app.state.store
    async with spooled_body(request) as body:
        await run_in_threadpool(_write, store, path, body)
    return WireJSON({})


@router.get("/artifacts/{path:path}")
async def download(path: str, request: Request) -> Response:
    """Stream the artifact at ``path``."""
    return file_response(await run_in_threadpool(_open, request.app.state.store, path))


@router.delete("/artifacts/{path:path}")
async def delete(path: str, request: Request) -> Response:
    await run_in_threadpool(_delete, request.app.state.store, path)
    return WireJSON({})


@router.get("/artifacts")
async def list_artifacts(request: Request) -> Response:
    """The files and folders directly inside ``?path=`` (the root if absent)."""
    args = await Args.read(request)
    return WireJSON(await run_in_threadpool(_list, request.app.state.store, args.str("path")))
