"""Module-level entry points: ``tracklog.init()``, the current run and its shortcuts."""

from __future__ import annotations

import atexit
import functools
import getpass
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from tracklog.errors import AlreadyExistsError, InvalidTypeError, InvalidValueError, NotFoundError
from tracklog.sdk import current, init_compat, reproduce, sweep_trial
from tracklog.sdk.config import Config
from tracklog.sdk.current import current_run
from tracklog.sdk.run import Run
from tracklog.sdk.stores import get_tracking_uri, open_backend
from tracklog.store import validation
from tracklog.store.clock import now_ms
from tracklog.store.liveness import process_started
from tracklog.store.location import DEFAULT_DIR, is_server_uri
from tracklog.store.new_run import NewRun

if TYPE_CHECKING:
    from tracklog.sdk.alerts import AlertLevel
    from tracklog.sdk.backend import Backend
    from tracklog.sdk.capture import CaptureSettings
    from tracklog.store.records import RunRecord

MODES = ("online", "offline", "disabled")
RESUME = ("allow", "must", "never")
DEFAULT_PROJECT = "default"

_hooks_installed = False
_uncaught: BaseException | None = None


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
    sync_tensorboard: bool = False,
    *,
    entity: str | None = None,
    reinit: bool | str | None = None,
    config_exclude_keys: Sequence[str] | None = None,
    config_include_keys: Sequence[str] | None = None,
    allow_val_change: bool | None = None,
    save_code: bool | None = None,
    **ignored: Any,
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
    ``sync_tensorboard=True`` makes torch's and tensorboardX's ``SummaryWriter`` log into this
    run too, unchanged (docs/migrate.md, "From TensorBoard").

    W&B's arguments: ``entity`` is kept as ``run.entity`` (a store has no entities);
    ``reinit`` says what happens to an open run (see :func:`init_compat.reinit_policy`);
    ``config_include_keys``/``config_exclude_keys`` filter ``config`` (a dict or an
    ``argparse.Namespace``); ``allow_val_change`` lets ``run.config`` change values;
    ``save_code`` is the ``code`` capture setting. Other keywords are ignored with one warning.
    """
    if not isinstance(sync_tensorboard, bool):
        raise InvalidTypeError(
            f"sync_tensorboard must be True or False, got {type(sync_tensorboard).__name__}"
        )
    init_compat.warn_ignored(ignored)
    mode = init_compat.MODES.get(mode or "", mode)
    policy = init_compat.reinit_policy(reinit)
    config = init_compat.chosen_config(config, config_include_keys, config_exclude_keys)
    settings = init_compat.with_save_code(settings, save_code)
    args = _InitArgs.check(
        project, name, id, config, tags, notes, group, job_type, resume, mode, dir, settings
    )
    previous = current_run()
    if previous is not None and policy == "return_previous":
        return previous
    if previous is not None and policy == "finish_previous":
        for open_run in reversed(list(current.runs)):
            open_run.finish()
    uri = get_tracking_uri(args.root)
    journals = offline_dir(uri, args.root)
    backend = open_backend(args.mode, uri, journals / args.run_id, args.run_id)
    try:
        run, resumed = _start_or_resume(args, backend, uri, bool(allow_val_change))
    except BaseException:
        _abandon(backend)
        raise
    run.entity = entity or _user() or ""
    if args.capture is not None:
        store_dir = Path(uri) if "://" not in uri else None
        exclude = [p for p in (store_dir, journals) if p is not None]
        run._start_capture(args.capture, args.root, exclude, resumed=resumed)
    _install_hooks()
    current.runs.append(run)
    if sync_tensorboard:
        from tracklog.tensorboard.sync import sync_into  # the face, loaded only when asked

        sync_into(run)
    return run


@dataclass(frozen=True)
class _InitArgs:
    """``init()``'s arguments, checked (and defaulted from the environment) before anything
    starts, so a bad one leaves no run, thread or journal behind."""

    mode: str
    resume: str | None
    project: str | None  # None: the reproduced run's project, else DEFAULT_PROJECT
    name: str
    run_id: str
    chosen_id: bool
    config: Mapping[str, Any] | None
    tags: list[str]
    notes: str | None
    group: str | None
    job_type: str | None
    root: Path
    capture: CaptureSettings | None
    reproduce_id: str | None

    @classmethod
    def check(
        cls,
        project: str | None,
        name: str | None,
        id: str | None,
        config: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        notes: str | None,
        group: str | None,
        job_type: str | None,
        resume: str | bool | None,
        mode: str | None,
        dir: str | os.PathLike[str] | None,
        settings: Mapping[str, Any] | None,
    ) -> _InitArgs:
        mode = mode or os.environ.get("TRACKLOG_MODE", "online")
        if mode not in MODES:
            raise InvalidValueError(f"mode must be one of {', '.join(MODES)}: {mode!r}")
        if resume is True or resume == "auto":  # W&B's "auto": continue the run if it exists
            resume = "allow"
        if resume not in (None, False, *RESUME):
            raise InvalidValueError(f"resume must be one of {', '.join(RESUME)}: {resume!r}")
        trial = sweep_trial.from_env()
        if trial is not None:  # started by a sweep agent: its run id, project and parameters
            id, project = id or trial.run_id, project or trial.project
            config = trial.config_over(config)
        project = project or os.environ.get("TRACKLOG_PROJECT") or None
        if project is not None:
            project = validation.name(project, "project")
        reproduce_id = reproduce.requested_id(mode)
        if resume == "must" and id is None:
            raise InvalidValueError("resume='must' needs the id of the run to resume")
        # The store's rules of a new run (checked again as it is created) and the config's,
        # before anything starts: a bad argument fails before a run's writer starts.
        new = NewRun.checked(
            project or DEFAULT_PROJECT,
            run_id=id,
            name=name,
            group=group,
            job_type=job_type,
            notes=notes,
            labels=tags,
        )
        labels = list(tags or [])
        if config is not None and not isinstance(config, Mapping):
            raise InvalidValueError(f"config must be a dict, got {type(config).__name__}")
        Config.clean(config or {})  # stricter than the store: each top-level key is a key
        capture = None
        if mode != "disabled":
            from tracklog.sdk.capture import CaptureSettings

            capture = CaptureSettings.resolve(settings)  # a bad setting fails before a start
        return cls(
            mode=mode,
            resume=resume or None,
            project=project,
            name=new.name,
            run_id=new.run_id,
            chosen_id=id is not None,
            config=config,
            tags=labels,
            notes=notes,
            group=group,
            job_type=job_type,
            root=Path(dir) if dir is not None else Path.cwd(),
            capture=capture,
            reproduce_id=reproduce_id,
        )


def _start_or_resume(
    args: _InitArgs, backend: Backend, uri: str, allow_val_change: bool
) -> tuple[Run, bool]:
    """The run ``args`` ask for, created or resumed in ``backend``; whether it was resumed."""
    source = None
    if args.reproduce_id is not None:
        source = reproduce.source_run(backend, args.reproduce_id)
    project = args.project or (source.project if source is not None else DEFAULT_PROJECT)
    # A fresh uuid cannot name an existing run, so locally only a chosen id needs a lookup;
    # a server's lookup also tells the user at once whether the server answers.
    exists = (args.chosen_id or is_server_uri(uri)) and backend.has_run(args.run_id)
    # Offline, or with a server that did not answer, resume="must" is checked at sync time.
    deferred = args.mode == "offline" or getattr(backend, "deferred", False)
    if exists and args.resume in (None, "never"):
        raise _exists(args.run_id)
    if not exists and args.resume == "must" and not deferred:
        raise NotFoundError(f"resume='must' but there is no run with id {args.run_id!r}")
    journals = offline_dir(uri, args.root)
    run = Run(
        backend,
        args.run_id,
        project,
        args.name,
        journals,
        args.mode,
        _shown(uri),
        allow_val_change=allow_val_change,
    )
    try:
        return run, _create_or_resume(run, backend, args, exists, deferred, source)
    except BaseException:
        run._discard()  # the run never started: its writer must not keep the flusher alive
        raise


def _create_or_resume(
    run: Run,
    backend: Backend,
    args: _InitArgs,
    exists: bool,
    deferred: bool,
    source: RunRecord | None,
) -> bool:
    """Create run ``run.id`` (or resume it, if it exists or another process created it since
    the lookup) and load what it holds into ``run``; whether it was resumed."""
    if not exists:
        first_config = Config.clean(args.config or {})
        if source is not None:
            first_config = reproduce.reproduced_config(first_config, source.config)
        labels = list(dict.fromkeys(args.tags))
        try:
            backend.create_run(
                run.project,
                run_id=run.id,
                name=run.name,
                user=_user(),
                group=args.group,
                job_type=args.job_type,
                notes=args.notes,
                start_time=now_ms(),
                pid=os.getpid(),
                pid_started=_process_started(os.getpid()),
                host=socket.gethostname(),
                config=first_config,
                labels=labels,
                **({"resume": args.resume} if deferred and args.resume else {}),
            )
        except AlreadyExistsError:
            if args.resume != "allow":
                raise _exists(run.id) from None
            exists = True  # another process created it since the lookup: resume it too
        else:
            if source is not None:
                backend.set_tags(run.id, {reproduce.REPRODUCED_FROM_TAG: source.id})
            run._start(first_config, labels, args.notes)
    if exists:
        backend.resume_run(run.id)
        run._continue(backend.get_run(run.id), backend.series_stats(run.id))
        if args.config:
            run.config.update(args.config, allow_val_change=True)  # as W&B: init() may change
        if args.tags:
            run.tags = tuple(args.tags)
    return exists


def _exists(run_id: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"a run with id {run_id!r} exists already; pass resume='allow' to continue it"
    )


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


def _require_run() -> Run:
    run = current_run()
    if run is None:
        raise RuntimeError("no active run: call tracklog.init() first")
    return run


def log(data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
    """``log()`` on the current run."""
    _require_run().log(data, step=step, commit=commit)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run (if any)."""
    run = current_run()
    if run is not None:
        run.finish(exit_code, quiet)


def save(glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
    """``save()`` on the current run."""
    return _require_run().save(glob_str, base_path, policy)


def define_metric(
    name: str,
    step_metric: str | None = None,
    summary: str | None = None,
    goal: str | None = None,
    **wandb_options: bool | None,
) -> None:
    """``define_metric()`` on the current run."""
    _require_run().define_metric(name, step_metric, summary, goal, **wandb_options)


def alert(
    title: str,
    text: str,
    level: str | AlertLevel | None = None,
    wait_duration: float | timedelta | None = None,
) -> None:
    """``alert()`` on the current run."""
    _require_run().alert(title, text, level, wait_duration)


def watch(
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
) -> None:
    """``watch()`` on the current run."""
    _require_run().watch(models, criterion, log, log_freq, idx, log_graph)


def unwatch(models: Any = None) -> None:
    """``unwatch()`` on the current run."""
    _require_run().unwatch(models)


def mark_preempting() -> None:
    """``mark_preempting()`` on the current run."""
    _require_run().mark_preempting()


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
    for run in reversed(list(current.runs)):
        if _uncaught is None:
            run.finish(0)
        elif isinstance(_uncaught, KeyboardInterrupt):
            run._finish(130, "KILLED", "KeyboardInterrupt")
        else:
            run._finish(1, "FAILED", f"{type(_uncaught).__name__}: {_uncaught}")
