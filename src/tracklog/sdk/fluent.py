"""Module-level entry points: ``tracklog.init()``, the current run and its shortcuts."""

from __future__ import annotations

import atexit
import functools
import getpass
import os
import socket
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tracklog.sdk import reproduce
from tracklog.sdk.backend import Backend, DisabledBackend, JournalBackend
from tracklog.sdk.config import Config
from tracklog.sdk.run import Run
from tracklog.store import validation
from tracklog.store.clock import now_ms
from tracklog.store.liveness import process_started
from tracklog.store.location import DEFAULT_DIR, ENV_URI, is_server_uri

if TYPE_CHECKING:
    from tracklog.client.remote import RemoteStore
    from tracklog.client.settings import ClientSettings
    from tracklog.store.location import StoreLocation
    from tracklog.store.records import RunRecord
    from tracklog.store.tracking import Store

MODES = ("online", "offline", "disabled")
RESUME = ("allow", "must", "never")
DEFAULT_PROJECT = "default"

_state = threading.local()
_runs: list[Run] = []
_tracking_uri: str | None = None
_stores: dict[StoreLocation, Store] = {}
_servers: dict[tuple[str, ClientSettings], RemoteStore] = {}
_hooks_installed = False
_uncaught: BaseException | None = None


def set_tracking_uri(uri: str | None) -> None:
    """Use ``uri`` (a folder, ``sqlite:///FILE``, ``postgresql://...`` or a server's
    ``http(s)://`` URL) for new runs and ``Api()``; ``None`` goes back to ``$TRACKLOG_URI`` or
    the default ``./tracklog``."""
    global _tracking_uri
    if uri is not None and not is_server_uri(uri):
        from tracklog.store.location import resolve

        resolve(uri)  # reject a bad URI now, not at the first init()
    _tracking_uri = uri


@contextmanager
def using_tracking_uri(uri: str) -> Iterator[None]:
    """Point new runs at ``uri`` inside a ``with`` block, then restore the earlier setting."""
    previous = _tracking_uri
    set_tracking_uri(uri)
    try:
        yield
    finally:
        set_tracking_uri(previous)


def get_tracking_uri(dir: str | os.PathLike[str] | None = None) -> str:
    """The store URI new runs use: set_tracking_uri(), else $TRACKLOG_URI, else ./tracklog."""
    if _tracking_uri is not None:
        return _tracking_uri
    return os.environ.get(ENV_URI) or str(Path(dir or ".", DEFAULT_DIR))


def current_run() -> Run | None:
    """The run most recently started by ``init()`` and not yet finished."""
    return _runs[-1] if _runs else None


def init(
    project: str | None = None,
    name: str | None = None,
    id: str | None = None,
    config: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    resume: str | bool | None = None,
    mode: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Run:
    """Start a run (W&B's ``wandb.init``) and make it the current one.

    ``mode`` is "online" (write to the store, the default), "offline" (write only a local
    journal that ``tracklog sync`` applies later) or "disabled" (log nothing). Online with a
    server URI, writes are journaled locally and sent to the server in the background.
    ``resume`` is "allow" (continue run ``id`` if it exists), "must" (it has to exist) or
    "never" (it must not exist). Use it as a context manager to finish it automatically.
    ``settings`` switches run-context capture on and off (see docs/capture.md).
    ``$TRACKLOG_REPRODUCE_FROM=RUN_ID`` starts a new run as a reproduction of that stored run:
    its recorded config over ``config``, its project by default, tag ``reproduced_from``.
    """
    mode = mode or os.environ.get("TRACKLOG_MODE", "online")
    if mode not in MODES:
        raise InvalidValueError(f"mode must be one of {', '.join(MODES)}: {mode!r}")
    if resume is True:
        resume = "allow"
    if resume not in (None, False, *RESUME):
        raise InvalidValueError(f"resume must be one of {', '.join(RESUME)}: {resume!r}")
    # The project is settled once the backend is open: a reproduction defaults to its source's.
    project = project or os.environ.get("TRACKLOG_PROJECT") or None
    if project is not None:
        project = validation.name(project, "project")
    reproduce_id = reproduce.requested_id(mode)
    run_id = validation.run_id(id) if id is not None else uuid.uuid4().hex
    if resume == "must" and id is None:
        raise InvalidValueError("resume='must' needs the id of the run to resume")
    name = validation.name(name, "run name") if name is not None else f"run-{run_id[:8]}"
    validation.run_fields(group, job_type, notes)
    tags = list(tags or [])
    for label in tags:
        validation.key(label, "tag")
    if config is not None and not isinstance(config, Mapping):
        raise InvalidValueError(f"config must be a dict, got {type(config).__name__}")
    Config.clean(config or {})  # a bad config fails before a run's writer starts
    root = Path(dir) if dir is not None else Path.cwd()
    capture = None
    if mode != "disabled":
        from tracklog.sdk.capture import CaptureSettings

        capture = CaptureSettings.resolve(settings)  # a bad setting fails before anything starts
    uri = get_tracking_uri(root)
    backend: Backend
    if mode == "disabled":
        backend = DisabledBackend()  # type: ignore[assignment]
    elif mode == "offline":
        backend = JournalBackend(offline_dir(uri, root) / run_id)
    elif is_server_uri(uri):
        backend = _server_backend(uri, offline_dir(uri, root) / run_id, run_id)
    else:
        backend = _store(uri)
    source = None
    if reproduce_id is not None:
        try:
            source = reproduce.source_run(backend, reproduce_id)
        except Exception:
            _abandon(backend)
            raise
    if project is None:
        project = source.project if source is not None else DEFAULT_PROJECT
    # A fresh uuid cannot name an existing run, so locally only a chosen id needs a lookup;
    # a server's lookup also tells the user at once whether the server answers.
    exists = (id is not None or is_server_uri(uri)) and backend.has_run(run_id)
    # Offline, or with a server that did not answer, resume="must" is checked at sync time.
    deferred = mode == "offline" or getattr(backend, "deferred", False)
    if exists and resume in (None, False, "never"):
        _abandon(backend)
        raise _exists(run_id)
    if not exists and resume == "must" and not deferred:
        _abandon(backend)
        raise NotFoundError(f"resume='must' but there is no run with id {run_id!r}")
    run = Run(backend, run_id, project, name, offline_dir(uri, root), mode, _shown(uri))
    try:
        exists = _create_or_resume(
            run,
            backend,
            exists,
            resume,
            deferred,
            source,
            config,
            tags,
            group=group,
            job_type=job_type,
            notes=notes,
        )
    except BaseException:
        run._writer.stop()  # the run never started: its writer must not keep the flusher alive
        _abandon(backend)
        raise
    if capture is not None:
        store_dir = Path(uri) if "://" not in uri else None
        exclude = [p for p in (store_dir, offline_dir(uri, root)) if p is not None]
        run._start_capture(capture, root, exclude, resumed=exists)
    _install_hooks()
    _runs.append(run)
    return run


def _create_or_resume(
    run: Run,
    backend: Backend,
    exists: bool,
    resume: str | bool | None,
    deferred: bool,
    source: RunRecord | None,
    config: Mapping[str, Any] | None,
    tags: list[str],
    *,
    group: str | None,
    job_type: str | None,
    notes: str | None,
) -> bool:
    """Create run ``run.id`` (or resume it, if it exists or another process created it since
    the lookup) and load what it holds into ``run``; whether it was resumed."""
    run_id, project, name = run.id, run.project, run.name
    if not exists:
        first_config = Config.clean(config or {})
        if source is not None:
            first_config = reproduce.reproduced_config(first_config, source.config)
        try:
            backend.create_run(
                project,
                run_id=run_id,
                name=name,
                user=_user(),
                group=group,
                job_type=job_type,
                notes=notes,
                start_time=now_ms(),
                pid=os.getpid(),
                pid_started=_process_started(os.getpid()),
                host=socket.gethostname(),
                config=first_config,
                labels=list(dict.fromkeys(tags)),
                **({"resume": resume} if deferred and resume else {}),
            )
        except AlreadyExistsError:
            if resume != "allow":
                raise _exists(run_id) from None
            exists = True  # another process created it since the lookup: resume it too
        else:
            if source is not None:
                backend.set_tags(run_id, {reproduce.REPRODUCED_FROM_TAG: source.id})
            run.config.load(first_config)
            run._labels = tuple(dict.fromkeys(tags))
            run._notes = notes
    if exists:
        backend.resume_run(run_id)
        run._continue(backend.get_run(run_id), backend.series_stats(run_id))
        if config:
            run.config.update(config)
        if tags:
            run.tags = tuple(tags)
    return exists


def _exists(run_id: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"a run with id {run_id!r} exists already; pass resume='allow' to continue it"
    )


def _store(uri: str) -> Store:
    """One open store per URI for the process's runs (engines are costly to create)."""
    from tracklog.store.location import resolve
    from tracklog.store.tracking import Store

    location = resolve(uri)  # the key: a relative folder means another store after a chdir
    if location not in _stores:
        _stores[location] = Store(location)
        _stores[location].mark_crashed_runs()
    return _stores[location]


def _server_backend(uri: str, folder: Path, run_id: str) -> Backend:
    """The journal-then-send backend of a run logged to a server (one client per URL)."""
    from tracklog.client.remote import RemoteStore
    from tracklog.client.settings import ClientSettings
    from tracklog.sdk.server_backend import ServerBackend

    # Keyed by the settings too: a token or timeout set in the environment later takes effect.
    key = (uri.strip().rstrip("/"), ClientSettings.from_env())
    if key not in _servers:
        _servers[key] = RemoteStore(key[0], settings=key[1])
    return ServerBackend(_servers[key], folder, run_id)


def _abandon(backend: Backend) -> None:
    """Release what a backend holds for a run refused before it started."""
    abandon = getattr(backend, "abandon", None)
    if abandon is not None:
        abandon()


def _shown(uri: str) -> str:
    """``uri`` for a message: a folder as an absolute path, a password replaced by ``***``."""
    if "://" not in uri:
        return str(Path(uri).absolute())
    parts = urlsplit(uri)
    if not parts.password:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def offline_dir(uri: str, root: Path) -> Path:
    """Where journals go: ``offline/`` inside the store folder, or under ``dir`` otherwise."""
    base = Path(uri) if "://" not in uri else root / DEFAULT_DIR
    return base / "offline"


@functools.cache
def _process_started(pid: int) -> int | None:
    """This process's start time (keyed by pid, so a forked child reads its own)."""
    return process_started(pid)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def forget(run: Run) -> None:
    """Drop a finished run from the current-run stack."""
    if run in _runs:
        _runs.remove(run)


def _require_run() -> Run:
    run = current_run()
    if run is None:
        raise RuntimeError("no active run: call tracklog.init() first")
    return run


def log(data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
    """``log()`` on the current run."""
    _require_run().log(data, step=step, commit=commit)


def finish(exit_code: int | None = None) -> None:
    """Finish the current run (if any)."""
    run = current_run()
    if run is not None:
        run.finish(exit_code)


def _install_hooks() -> None:
    """Finish open runs at interpreter exit: FAILED after an uncaught exception, KILLED after
    Ctrl-C, FINISHED otherwise."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        global _uncaught
        _uncaught = exc
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook
    atexit.register(_finish_all)


def _finish_all() -> None:
    for run in reversed(list(_runs)):
        if _uncaught is None:
            run.finish(0)
        elif isinstance(_uncaught, KeyboardInterrupt):
            run._finish(130, "KILLED", "KeyboardInterrupt")
        else:
            run._finish(1, "FAILED", f"{type(_uncaught).__name__}: {_uncaught}")
