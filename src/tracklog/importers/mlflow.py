"""Read MLflow runs (an ``mlruns`` folder or any tracking URI) with the mlflow client.

Each MLflow experiment becomes a project, each run a run: params become the config, every
point of every metric history is kept with its step and timestamp, artifacts are downloaded
and copied, and the system tags tracklog has a field for become that field.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from tracklog.errors import NotFoundError
from tracklog.importers.imported_run import (
    ImportedRun,
    ImportSourceError,
    Origin,
    SourceRun,
    require,
)
from tracklog.store import git_context
from tracklog.store.clock import now_ms
from tracklog.store.records import SeriesPoints
from tracklog.store.transfer import FILES

_STATUS = {"SCHEDULED": "RUNNING", "RUNNING": "RUNNING"}
_STATUS.update({s: s for s in ("FINISHED", "FAILED", "KILLED")})
# System tags that become run fields or metadata rather than tags.
_RUN_NAME, _USER, _NOTE, _PARENT = (
    "mlflow.runName",
    "mlflow.user",
    "mlflow.note.content",
    "mlflow.parentRunId",
)
_PAGE = 1000


def tracking_uri(source: str) -> str:
    """The tracking URI for ``source``: a URI as given, a local ``mlruns`` folder as a
    ``file://`` URI. Local sources are checked first: a missing file or a folder that is no
    ``mlruns`` folder is refused (the mlflow client would create one)."""
    if source.startswith("sqlite:///"):
        db = Path(source[len("sqlite:///") :])
        if not db.is_file():
            raise NotFoundError(f"{db}: no such MLflow database file")
        return source
    if "://" in source and not source.startswith("file://"):
        return source
    folder = Path(source[len("file://") :] if source.startswith("file://") else source)
    if not folder.exists():
        raise NotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ImportSourceError(
            f"{folder}: not a folder; give an mlruns folder or a URI such as sqlite:///{folder}"
        )
    if not any((sub / "meta.yaml").is_file() for sub in folder.iterdir() if sub.is_dir()):
        raise ImportSourceError(
            f"{folder}: not an MLflow mlruns folder (no <experiment>/meta.yaml inside)"
        )
    return folder.resolve().as_uri()


def read_runs(
    source: str,
    experiments: Sequence[str] = (),
    project: str | None = None,
) -> Iterator[SourceRun]:
    """Each run of the chosen experiments (default: every active one), read in full when its
    ``read`` is called; artifacts are downloaded to a temporary folder per run, removed when
    the iterator moves on. The source is checked at once."""
    mlflow = require("mlflow", "mlflow", "MLflow runs")
    uri = tracking_uri(source)
    if uri.startswith("file://"):
        # mlflow 3 refuses the file store unless told that reading one is intended.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    # One progress bar per run's artifacts would bury the import's own report.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    return _read(mlflow, uri, experiments, project)


def _read(
    mlflow: Any, uri: str, experiments: Sequence[str], project: str | None
) -> Iterator[SourceRun]:
    from mlflow.entities import ViewType

    with _named(uri):
        client = mlflow.MlflowClient(tracking_uri=uri)
        chosen = _experiments(client, ViewType, uri, experiments)
    for exp in chosen:
        with _named(uri):
            runs = list(_runs(client, ViewType, exp.experiment_id))
        for run in runs:
            origin = Origin(
                {
                    "source": "mlflow",
                    "tracking_uri": uri,
                    "run_id": run.info.run_id,
                    "experiment_id": exp.experiment_id,
                    "experiment": exp.name,
                },
                ("source", "run_id"),
            )
            name = run.data.tags.get(_RUN_NAME) or run.info.run_name or run.info.run_id
            folder = Path(tempfile.mkdtemp(prefix="tracklog-mlflow-"))
            try:
                read = partial(_read_run, client, run, origin, name, project or exp.name, folder)
                yield SourceRun(origin, run.info.run_id, name, read)
            finally:
                shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _named(where: str) -> Iterator[None]:
    """mlflow's errors as :class:`ImportSourceError` naming ``where`` (the tracking URI)."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        raise ImportSourceError(f"{where}: {exc.message}") from None


def _experiments(client: Any, view: Any, uri: str, wanted: Sequence[str]) -> list[Any]:
    found, token = [], None
    while True:
        page = client.search_experiments(
            view_type=view.ALL, max_results=_PAGE, page_token=token, order_by=["name"]
        )
        found.extend(page)
        token = page.token
        if not token:
            break
    if not wanted:
        return [e for e in found if e.lifecycle_stage == "active"]
    chosen: list[Any] = []
    for w in dict.fromkeys(wanted):
        match = [e for e in found if w in (e.name, e.experiment_id)]
        if not match:
            names = ", ".join(e.name for e in found) or "none"
            raise NotFoundError(f"{uri}: no MLflow experiment named or with id {w!r} ({names})")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _runs(client: Any, view: Any, experiment_id: str) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs(
            [experiment_id],
            run_view_type=view.ALL,
            max_results=_PAGE,
            order_by=["attributes.start_time ASC"],
            page_token=token,
        )
        yield from page
        token = page.token
        if not token:
            return


def _read_run(
    client: Any, run: Any, origin: Origin, name: str, project: str, folder: Path
) -> ImportedRun:
    info, data = run.info, run.data
    uri = origin.fields["tracking_uri"]
    where = f"{uri} run {info.run_id}"
    tags = dict(data.tags)
    tags.pop(_RUN_NAME, None)  # the run's name
    user = tags.pop(_USER, None) or info.user_id or None
    git = git_context.from_mlflow_tags(tags)
    for tag in git_context.MLFLOW_GIT_TAGS:
        tags.pop(tag, None)
    with _named(where):
        points = [_history(client, info.run_id, key) for key in sorted(data.metrics)]
        if client.list_artifacts(info.run_id):
            try:
                client.download_artifacts(info.run_id, "", str(folder / FILES))
            except OSError as exc:
                raise ImportSourceError(f"{where}: an artifact cannot be read: {exc}") from None
    start = info.start_time or min((int(p.timestamps.min()) for p in points), default=now_ms())
    return ImportedRun(
        source=where,
        origin=origin,
        project=project,
        name=name,
        status=_STATUS.get(info.status, "FAILED"),
        start_time=start,
        end_time=info.end_time,
        user=user,
        parent_run_id=tags.pop(_PARENT, None),
        notes=tags.pop(_NOTE, None),
        deleted=info.lifecycle_stage == "deleted",
        config=dict(data.params),
        tags=tags,
        metadata={"git": git} if git else {},
        points=points,
        files=folder / FILES,
    )


def _history(client: Any, run_id: str, key: str) -> SeriesPoints:
    """Every point of a metric, by step then time (the point MLflow calls latest is last)."""
    history = sorted(client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp))
    return SeriesPoints(
        key,
        "",
        np.array([m.step for m in history], np.int64),
        np.array([m.value for m in history], np.float64),
        np.array([m.timestamp for m in history], np.int64),
    )
