"""MLflow's proxied artifact routes (``mlflow_artifacts.proto``): upload, download, delete and
list under ``/api/2.0/mlflow-artifacts/artifacts``.

A run's artifact URI is ``mlflow-artifacts:/<experiment id>/<run id>/artifacts``, so a path
``<experiment id>/<run id>/artifacts/<file>`` is that run's file ``<file>`` (listed by
``tracklog.Api().run(id).files()`` like any other). Every other path (logged models, for one)
is stored as it is under the server's artifact root. Paths are confined with ``safe_relpath``.

Uploads stream to storage and appear whole or not at all. MLflow's proxied multipart upload
(``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true``) works too: ``mpu/create`` answers one URL per
part on this server (``mpu/parts/<upload id>/<n>``), which the client PUTs like the presigned
URLs of a cloud store, without credentials: the upload id is the secret. ``mpu/complete``
joins the parts into the file, ``mpu/abort`` drops them (``tracklog.store.mlflow.multipart``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.server.encoding import WireJSON
from tracklog.server.mlflow_api.routing import Args, mlflow_router
from tracklog.server.streaming import body_chunks, file_response
from tracklog.store import validation
from tracklog.store.artifacts import safe_relpath
from tracklog.store.mlflow import MlflowStore
from tracklog.store.records import RunRecord
from tracklog.store.tracking import Store

router = mlflow_router()
# Mounted without authentication: a part's URL carries its upload's secret id instead.
parts_router = mlflow_router()


@dataclass(frozen=True)
class Target:
    """Where an artifact path lands: a run's file, or a path under the artifact root."""

    run_id: str | None
    path: str | None  # None: the run's (or the root's) top folder


@dataclass(frozen=True)
class _FileTarget(Target):
    """A target that is a file."""

    path: str


def resolve(store: Store, path: str | None) -> Target:
    """The target of ``path`` (None or "" is the artifact root)."""
    if not path:
        return Target(None, None)
    path = safe_relpath(path)
    parts = path.split("/", 3)
    if len(parts) >= 3 and parts[2] == "artifacts" and validation.decimal_id(parts[0]) is not None:
        try:
            run: RunRecord | None = store.get_run(parts[1])
        except NotFoundError:  # no such run: an ordinary path
            run = None
        if run is not None and str(run.experiment_id) == parts[0]:
            return Target(run.id, parts[3] if len(parts) == 4 else None)
    return Target(None, path)


def _file(store: Store, path: str) -> _FileTarget:
    """The target of a file's path (a run's top folder is not one)."""
    target = resolve(store, path)
    if target.path is None:
        raise InvalidValueError(f"artifact path {path!r} names a run's folder, not a file")
    return _FileTarget(target.run_id, target.path)


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


def _folder(store: Store, target: Target) -> str:
    """The folder ``target.path`` is relative to: its run's, or the artifact root."""
    return store.get_run(target.run_id).artifact_uri if target.run_id else store.artifacts.root


def _list(store: Store, path: str | None) -> dict[str, Any]:
    target = resolve(store, path)
    files = []
    for name, is_dir, size in store.artifacts.listdir(_folder(store, target), target.path):
        entry: dict[str, Any] = {"path": name, "is_dir": is_dir}
        if not is_dir:
            entry["file_size"] = size
        files.append(entry)
    return {"files": files}


@router.put("/artifacts/{path:path}")
async def upload(path: str, request: Request) -> Response:
    """Store the request body as the artifact at ``path``."""
    store = request.app.state.store
    await run_in_threadpool(_write, store, path, body_chunks(request))
    return WireJSON({})


@router.get("/artifacts/{path:path}")
async def download(path: str, request: Request) -> Response:
    """Stream the artifact at ``path``."""
    return file_response(await run_in_threadpool(_open, request.app.state.store, path))


@router.delete("/artifacts/{path:path}")
async def delete(path: str, request: Request) -> Response:
    await run_in_threadpool(_delete, request.app.state.store, path)
    return WireJSON({})


def _upload_path(path: str, args: Args) -> str:
    """The artifact path a multipart upload stores: the folder of the route's path and the
    name of the client's local file (its ``path`` argument)."""
    name = re.split(r"[\\/]", args.required("path"))[-1]
    return f"{safe_relpath(path)}/{name}"


def _create(store: Store, path: str, num_parts: int) -> str:
    target = _file(store, path)  # refuses a run's folder, a bad path
    store.artifacts.confined(_folder(store, target), target.path)  # and one through a link
    return MlflowStore(store).uploads.create(path, num_parts)


def _complete(store: Store, path: str, upload_id: str, numbers: list[int], max_bytes: int) -> None:
    uploads = MlflowStore(store).uploads
    if uploads.get(upload_id).path != path:
        raise InvalidValueError(f"multipart upload {upload_id!r} is not one of {path!r}")
    _write(store, path, uploads.joined(upload_id, numbers, max_bytes))
    uploads.remove(upload_id)


def _abort(store: Store, path: str, upload_id: str) -> None:
    uploads = MlflowStore(store).uploads
    if uploads.get(upload_id).path != path:
        raise InvalidValueError(f"multipart upload {upload_id!r} is not one of {path!r}")
    uploads.remove(upload_id)


@router.post("/mpu/create/{path:path}")
async def create_multipart_upload(path: str, request: Request) -> Response:
    """Start a multipart upload of ``path/<name of the client's file>``: its id and one URL
    per part."""
    args = await Args.read(request)
    num_parts = args.int("num_parts", required=True)
    assert num_parts is not None
    target = _upload_path(path, args)
    store = request.app.state.store
    upload_id = await run_in_threadpool(_create, store, target, num_parts)
    base = f"{str(request.base_url).rstrip('/')}{request.url.path.split('/mpu/create/')[0]}"
    credentials = [
        {"url": f"{base}/mpu/parts/{upload_id}/{n}", "part_number": n, "headers": {}}
        for n in range(1, num_parts + 1)
    ]
    return WireJSON({"upload_id": upload_id, "credentials": credentials})


@parts_router.put("/mpu/parts/{upload_id}/{part_number}")
async def upload_part(upload_id: str, part_number: int, request: Request) -> Response:
    """Store one part of a multipart upload (the client sends it again on failure)."""
    uploads = MlflowStore(request.app.state.store).uploads
    size = await run_in_threadpool(
        uploads.write_part,
        upload_id,
        part_number,
        body_chunks(request),
        request.app.state.settings.max_artifact_bytes,
    )
    return WireJSON({}, headers={"ETag": f'"{part_number}-{size}"'})


@router.post("/mpu/complete/{path:path}")
async def complete_multipart_upload(path: str, request: Request) -> Response:
    """Join the parts into the artifact file, which appears whole."""
    args = await Args.read(request)
    numbers = [Args(p).int("part_number", 0) or 0 for p in args.objects("parts")]
    settings = request.app.state.settings
    await run_in_threadpool(
        _complete,
        request.app.state.store,
        _upload_path(path, args),
        args.required("upload_id"),
        numbers,
        settings.max_artifact_bytes,
    )
    return WireJSON({})


@router.post("/mpu/abort/{path:path}")
async def abort_multipart_upload(path: str, request: Request) -> Response:
    """Drop the upload's parts; an artifact stored before at that path stays."""
    args = await Args.read(request)
    store = request.app.state.store
    await run_in_threadpool(_abort, store, _upload_path(path, args), args.required("upload_id"))
    return WireJSON({})


@router.get("/artifacts")
async def list_artifacts(request: Request) -> Response:
    """The files and folders directly inside ``?path=`` (the root if absent)."""
    args = await Args.read(request)
    return WireJSON(await run_in_threadpool(_list, request.app.state.store, args.str("path")))
