"""``Run``: what a training script logs through (W&B-shaped, with MLflow and Aim aliases)."""

from __future__ import annotations

import os
import sys
import traceback
import uuid
import warnings
from collections.abc import Mapping
from datetime import timedelta
from numbers import Real
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, overload
from urllib.parse import quote, urlsplit, urlunsplit

from tracklog.errors import (
    InvalidTypeError,
    InvalidValueError,
    RunFinishedError,
    StoreError,
    TracklogError,
)
from tracklog.sdk import current, rescue, run_artifacts
from tracklog.sdk.alerts import AlertLevel, Throttle, level_name, wait_seconds
from tracklog.sdk.artifact import Artifact
from tracklog.sdk.backend import Backend
from tracklog.sdk.config import Config
from tracklog.sdk.media import Media, Text
from tracklog.sdk.saved_files import SavedFiles
from tracklog.sdk.summary import Summary
from tracklog.sdk.watch import Watcher
from tracklog.sdk.writer import BACKLOG_ROWS, Writer
from tracklog.store import validation
from tracklog.store.clock import now_ms
from tracklog.store.location import is_server_uri
from tracklog.store.records import RunRecord, SeriesStats

if TYPE_CHECKING:
    from tracklog.sdk.capture import CaptureSettings
    from tracklog.sdk.capture.session import CaptureSession

_INT64 = 2**63
_INT64_MIN = -_INT64
PREEMPTING_TAG = "preempting"


class _Rich:
    """What the slow path of ``log()`` sets aside: media values, and the errors of bad keys
    and values (raised once the call's other values are logged)."""

    def __init__(self) -> None:
        self.media: list[tuple[str, Media]] = []
        self.errors: list[TracklogError] = []

    def raise_first(self) -> None:
        """Raise the first error, saying how many other values were refused too."""
        if not self.errors:
            return
        first = self.errors[0]
        if len(self.errors) > 1:
            more = len(self.errors) - 1
            raise type(first)(f"{first} (and {more} more refused; the other values are logged)")
        raise first


KNOWN_CONTEXTS = 1024  # distinct track() contexts a run remembers checked


class Run:
    """One run of a training script. Create it with :func:`tracklog.init`."""

    def __init__(
        self,
        backend: Backend,
        run_id: str,
        project: str,
        name: str,
        rescue_dir: Path,
        mode: str = "online",
        sync_uri: str | None = None,
        *,
        allow_val_change: bool = False,
    ) -> None:
        self.id = run_id
        self.project = project
        self.entity = ""  # W&B's entity (``init(entity=)``, else the user): stores have none
        self._name = name
        self.mode = mode
        self._backend = backend
        self._rescue_dir = rescue_dir
        self._sync_uri = sync_uri  # the store `tracklog sync --uri` applies a rescue journal to
        self._writer = Writer(backend, run_id)
        self._known: set[str] = set()
        self._step = 0
        self._pending: dict[str, float] = {}
        self._pending_step = 0
        self._explicit_summary: dict[str, Any] = {}
        self._metric_defs: list[dict[str, Any]] = []
        self._labels: tuple[str, ...] = ()
        self._notes: str | None = None
        self._track_steps: dict[tuple[str, str], int] = {}
        self._epochs: dict[str, tuple[int, float]] = {}  # context -> its last (step, epoch)
        self._contexts: dict[tuple[Any, ...], str] = {}  # see _context
        self._finished = False
        self._disabled = mode == "disabled"
        self._capture: CaptureSession | None = None
        self.config = Config(lambda updates: backend.set_config(run_id, updates), allow_val_change)
        self.summary = Summary(self._read_summary, self._write_summary)
        self._alerts = Throttle()
        self._watcher = Watcher()
        self._files = SavedFiles(backend, run_id, rescue_dir.parent / "run-files" / run_id)
        if not self._disabled:
            self._writer.periodic.append(self._files.poll)
            self._writer.start()

    def _start(self, config: dict[str, Any], labels: list[str], notes: str | None) -> None:
        """Hold what a new run was created with: its first config, labels and notes."""
        self.config.load(config)
        self._labels = tuple(labels)
        self._notes = notes

    def _discard(self) -> None:
        """Stop the writer of a run the store refused at its start (nothing was logged)."""
        self._writer.stop()

    def _continue(self, record: RunRecord, stats: list[SeriesStats]) -> None:
        """Pick up a resumed run where it stopped: step counters after the highest stored
        steps, and its config, labels, notes and metric definitions."""
        for st in stats:
            nxt = -1 if st.max_step is None else st.max_step + 1
            if not st.context:
                self._step = max(self._step, nxt)
            self._track_steps[(st.key, st.context)] = max(0, nxt)
        self.project, self._name = record.project, record.name
        self.config.load(record.config)
        self._labels = tuple(record.labels)
        self._notes = record.notes
        self._metric_defs = list(record.metric_defs)

    def _start_capture(
        self, settings: CaptureSettings, workdir: Path, exclude: list[Path], resumed: bool
    ) -> None:
        """Capture the run's context (docs/capture.md); never fails the run."""
        from tracklog.sdk.capture.session import CaptureSession

        scratch = self._rescue_dir / f"{self.id}-capture"
        self._capture = CaptureSession(
            settings, self._backend, self.id, scratch, self._writer.rows.append
        )
        self._capture.start(workdir, exclude, resumed)

    # -- W&B's attributes -----------------------------------------------------------------

    @property
    def name(self) -> str:
        """The run's display name; assigning renames it in the store."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        value = validation.name(value, "run name")
        self._backend.update_run(self.id, name=value)
        self._name = value

    @property
    def url(self) -> str | None:
        """The run's page in a server's UI; None for a local store, offline or disabled."""
        if self.mode != "online" or self._sync_uri is None or not is_server_uri(self._sync_uri):
            return None
        parts = urlsplit(self._sync_uri)
        host = parts.netloc.rpartition("@")[2]  # never a user name or password
        base = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
        return f"{base}/#/runs/{quote(self.id)}"

    @property
    def dir(self) -> str:
        """A folder for the run's files (W&B's ``run.dir``): what is in it at ``finish()``
        becomes run files under the same relative paths."""
        self._files.run_dir.mkdir(parents=True, exist_ok=True)
        return str(self._files.run_dir)

    def alert(
        self,
        title: str,
        text: str,
        level: str | AlertLevel | None = None,
        wait_duration: float | timedelta | None = None,
    ) -> None:
        """Record an alert on the run (W&B's ``run.alert``): ``level`` INFO (default), WARN
        or ERROR. Another alert with the same title within ``wait_duration`` seconds (default
        60; 0 for none) is dropped. A server with ``--alert-webhook`` POSTs each new one."""
        if self._finished:
            raise RunFinishedError(f"run {self.id} is finished; alert() after finish() is an error")
        name = level_name(level)
        wait_s = wait_seconds(wait_duration)
        alert_id = uuid.uuid4().hex
        validation.alert(alert_id, title, text, name)
        if self._disabled or not self._alerts.allows(title, wait_s):
            return
        self._backend.add_alert(self.id, alert_id, title, text, name, now_ms())

    def watch(
        self,
        models: Any,
        criterion: Any = None,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
        log_graph: bool = False,
    ) -> None:
        """Log histograms of a torch model's gradients (``log="gradients"``), parameters
        ("parameters") or both ("all") as ``gradients/NAME`` and ``parameters/NAME`` every
        ``log_freq`` backward or forward passes, at the run's current step (W&B's
        ``watch``; ``criterion`` and ``log_graph`` are accepted and unused)."""
        self._watcher.watch(self, models, log, log_freq, idx)

    def unwatch(self, models: Any = None) -> None:
        """Stop what :meth:`watch` does for ``models`` (default: all)."""
        self._watcher.unwatch(models)

    def mark_preempting(self) -> None:
        """Record that the run is about to be preempted (tag ``preempting`` = the time in ms),
        so it can be told apart and resumed with ``init(id=..., resume="allow")``."""
        self._backend.set_tags(self.id, {PREEMPTING_TAG: str(now_ms())})

    # -- logging --------------------------------------------------------------------------

    @property
    def step(self) -> int:
        """The step the next ``log()`` without ``step=`` will use."""
        return self._step

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
        """Log numbers and media at a step (W&B semantics).

        Values are numbers, :class:`~tracklog.sdk.media.Media` (``tracklog.Text``,
        ``tracklog.Html``, ...) or plain strings (logged as ``Text``). Without ``step`` the
        run's own counter is used and advanced; with ``commit=False`` numbers accumulate until
        a call with ``commit=True`` or another step. Nested dicts become keys joined by '/'.
        Steps lower than earlier ones are kept, not dropped. A bad value raises naming its
        key, after the call's other values are logged.
        """
        self._log(data, step, commit, None)

    def _log(
        self, data: Mapping[str, Any], step: int | None, commit: bool, timestamp: int | None
    ) -> None:
        """``log()`` with the points' time given (ms since the epoch; None: now), for the
        faces whose callers say when a value was seen (TensorBoard's ``walltime``)."""
        if self._finished:
            raise RunFinishedError(f"run {self.id} is finished; log() after finish() is an error")
        rich: _Rich | None = None
        # Fast path: a plain dict whose keys were all seen before and whose values sum to a
        # plain int or float (so each one is an int, float or bool) is taken as it is.
        if type(data) is dict and self._known.issuperset(data):
            try:
                total = sum(data.values())
            except (TypeError, OverflowError):
                total = None
            plain = type(total) is float or (type(total) is int and -_INT64 <= total < _INT64)
            if plain:
                data = data.copy()
            else:
                rich = _Rich()
                data = self._clean(data, "", rich)
        elif isinstance(data, Mapping):
            rich = _Rich()
            data = self._clean(data, "", rich)
        else:
            raise InvalidTypeError(f"log() takes a dict of numbers, got {type(data).__name__}")
        if rich is not None and not data and not rich.media:
            rich.raise_first()  # nothing of the call is taken: the step does not advance
        # Steps go into the writer's int64 arrays: one past them must fail here, not there.
        if step is None:
            s = self._step
            if s >= _INT64:  # the last log() was at the largest step there is
                validation.step(s)
        elif type(step) is int and _INT64_MIN <= step < _INT64:
            s = step
        else:
            s = validation.step(step)
        if self._disabled:
            if rich is not None:
                rich.raise_first()
            return
        if self._pending and s != self._pending_step:
            self._commit_pending()
        if commit:
            if self._pending:
                data = {**self._pending, **data}
                self._pending = {}
            rows = self._writer.rows
            if data or rich is None:
                rows.append((s, now_ms() if timestamp is None else timestamp, data))
                if len(rows) == BACKLOG_ROWS:  # logging outpaces the flush interval: flush now
                    self._writer.wake()
            if s >= self._step:
                self._step = s + 1
        else:
            self._pending.update(data)
            self._pending_step = s
        if rich is not None:
            self._queue_media(rich.media, "", s, timestamp)
            rich.raise_first()

    def _queue_media(
        self, media: list[tuple[str, Media]], context: str, step: int, t: int | None = None
    ) -> None:
        """Hand media values to the writer, which encodes them on its threads (and makes
        this call wait while too many wait for it)."""
        if not media:
            return
        t = now_ms() if t is None else t
        self._writer.queue_media((key, context, step, t, value.as_logged()) for key, value in media)

    def _commit_pending(self) -> None:
        s = self._pending_step
        self._writer.rows.append((s, now_ms(), self._pending))
        self._pending = {}
        if s >= self._step:
            self._step = s + 1

    def _clean(self, data: Mapping[Any, Any], prefix: str, rich: _Rich) -> dict[str, float]:
        """The slow path of ``log()``: validate new keys, flatten dicts, convert numbers, and
        set media aside in ``rich``; a bad key or value is kept in ``rich`` and skipped."""
        out: dict[str, float] = {}
        for k, v in data.items():
            try:
                if not isinstance(k, str):
                    raise InvalidTypeError(f"metric keys must be strings, got {k!r}")
                key = prefix + k
                if isinstance(v, Mapping):
                    out.update(self._clean(v, key + "/", rich))
                    continue
                if key not in self._known:
                    validation.key(key, "metric key")
                    self._known.add(key)
                media = _media(v, key)
                if media is None:
                    out[key] = _number(v, key)
                else:
                    rich.media.append((key, media))
            except TracklogError as exc:
                rich.errors.append(exc)
        return out

    def track(
        self,
        value: Any,
        name: str,
        step: int | None = None,
        epoch: int | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        """Aim-style: record ``value`` (a number, a Media value or a string) in the series
        ``name`` within ``context`` (a dict).

        Without ``step`` each (name, context) series counts its own steps from 0. ``epoch``
        is recorded as the ``epoch`` series at the same step and context, once for all the
        values tracked at that step.
        """
        if self._finished:
            raise RunFinishedError(f"run {self.id} is finished; track() after finish() is an error")
        if name not in self._known:
            validation.key(name, "metric name")
            self._known.add(name)
        ctx = self._context(context)
        media = _media(value, name)
        number = _number(value, name) if media is None else 0.0
        epoch_value = None if epoch is None else float(validation.step(epoch, "epoch"))
        counter = self._track_steps.get((name, ctx), 0)
        s = validation.step(counter if step is None else step, name)
        if self._disabled:
            return
        self._track_steps[(name, ctx)] = max(counter, s + 1)
        t = now_ms()
        new_epoch = self._new_epoch(ctx, s, epoch_value)
        if media is not None:
            self._queue_media([(name, media)], ctx, s)
            if new_epoch is not None:
                self._writer.tracks.append(("epoch", ctx, s, t, new_epoch))
            return
        if not ctx:  # the same series log() writes: share its buffer to keep arrival order
            row = {name: number} if new_epoch is None else {name: number, "epoch": new_epoch}
            self._writer.rows.append((s, t, row))
            return
        self._writer.tracks.append((name, ctx, s, t, number))
        if new_epoch is not None:
            self._writer.tracks.append(("epoch", ctx, s, t, new_epoch))

    def _context(self, context: Any) -> str:
        """:func:`validation.context`, remembered for the first :data:`KNOWN_CONTEXTS`
        contexts: a loop tracks the same few a million times, and checking one and writing
        it as JSON took most of the time of a ``track()`` call."""
        if context is None:
            return ""
        try:
            # The types too: {"fold": 1} and {"fold": True} are equal as dicts, not as JSON.
            key = tuple((k, type(v), v) for k, v in context.items())
            known = self._contexts.get(key)
        except (AttributeError, TypeError):  # not a dict, or an unhashable value
            return validation.context(context)  # raises, naming what is wrong
        if known is None:
            known = validation.context(context)  # raises for a bad one, which is not kept
            if len(self._contexts) < KNOWN_CONTEXTS:
                self._contexts[key] = known
        return known

    def _new_epoch(self, ctx: str, step: int, epoch: float | None) -> float | None:
        """``epoch`` where it is a new point of the context's ``epoch`` series, else None:
        the values tracked at one step and epoch record it once, not once each."""
        if epoch is None or self._epochs.get(ctx) == (step, epoch):
            return None
        self._epochs[ctx] = (step, epoch)
        return epoch

    def define_metric(
        self,
        name: str,
        step_metric: str | None = None,
        summary: str | None = None,
        goal: str | None = None,
        *,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        overwrite: bool | None = None,
    ) -> None:
        """Declare how metrics matching ``name`` (a glob) are summarised and plotted.

        ``summary`` is one of last, first, min, max, mean, or best (min or max by ``goal``,
        which it needs); ``goal`` is minimize or maximize. W&B's ``step_sync``, ``hidden`` and
        ``overwrite`` are accepted and change nothing (each definition replaces the last).
        """
        item = {"name": name, "step_metric": step_metric, "summary": summary or None, "goal": goal}
        item = validation.metric_def(item)
        defs = [d for d in self._metric_defs if d["name"] != name] + [item]
        self._backend.set_metric_defs(self.id, defs)
        self._metric_defs = defs

    def flush(self) -> None:
        """Write what is buffered (points, media) to the backend now, not at the writer's
        next interval."""
        if not self._disabled:
            self._writer.flush()

    # -- MLflow-style aliases -------------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        """Set one config key (MLflow's ``log_param``)."""
        self.config.update({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Set several config keys (MLflow's ``log_params``)."""
        self.config.update(params)

    def log_metric(self, key: str, value: Any, step: int | None = None) -> None:
        """Log one metric (MLflow's ``log_metric``)."""
        self.log({key: value}, step=step)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log several metrics at one step (MLflow's ``log_metrics``)."""
        self.log(metrics, step=step)

    def set_tag(self, key: str, value: Any) -> None:
        """Set one key → value tag (MLflow's ``set_tag``)."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set key → value tags (MLflow's ``set_tags``)."""
        self._backend.set_tags(self.id, validation.tags(tags))

    @property
    def tags(self) -> tuple[str, ...]:
        """The run's labels (W&B's ``run.tags``); assign a tuple to add labels."""
        return self._labels

    @tags.setter
    def tags(self, labels: tuple[str, ...] | list[str]) -> None:
        new = [validation.key(lb, "tag") for lb in labels if lb not in self._labels]
        if new:
            self._backend.add_labels(self.id, new)
        self._labels = tuple(dict.fromkeys([*self._labels, *new]))

    def remove_tags(self, labels: list[str] | tuple[str, ...]) -> None:
        """Remove labels (W&B's tags) from the run; ones it does not have are ignored."""
        gone = [validation.key(lb, "tag") for lb in labels]
        if gone:
            self._backend.remove_labels(self.id, gone)
        self._labels = tuple(lb for lb in self._labels if lb not in gone)

    @property
    def notes(self) -> str | None:
        """The run's notes; assigning replaces them."""
        return self._notes

    @notes.setter
    def notes(self, text: str) -> None:
        self._backend.update_run(self.id, notes=validation.run_notes(text))
        self._notes = text

    # -- files ----------------------------------------------------------------------------

    @overload
    def log_artifact(
        self, path: Artifact, name: None = None, *, aliases: list[str] | None = None
    ) -> Artifact: ...
    @overload
    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> None: ...
    def log_artifact(
        self,
        path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        *,
        aliases: list[str] | None = None,
    ) -> Artifact | None:
        """Log a versioned :class:`~tracklog.Artifact` (with ``aliases``; returned as the
        version it became), or copy a file or folder into the run's files, as ``name``
        (default: its base name)."""
        if isinstance(path, Artifact):
            return run_artifacts.log_version(self._backend, self.id, path, aliases)
        source = Path(path)
        if not source.exists():
            raise validation.InvalidValueError(f"log_artifact: {str(path)!r} does not exist")
        self._backend.log_artifact(self.id, source, name or source.name)
        return None

    def use_artifact(self, spec: str) -> Artifact:
        """The logged artifact version ``spec`` names (``name:alias``, ``name:vN``, ``name``
        for the latest, ``project/name:alias``), recorded as used by this run."""
        return run_artifacts.use_version(self._backend, self.id, spec)

    def logged_artifacts(self) -> list[Artifact]:
        """The artifact versions this run logged."""
        return run_artifacts.logged(self._backend, self.id)

    def used_artifacts(self) -> list[Artifact]:
        """The artifact versions this run used."""
        return run_artifacts.used(self._backend, self.id)

    def save(self, glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
        """Save the files matching ``glob_str`` as run files, named by their paths relative to
        ``base_path`` (default: the working folder; an absolute glob's fixed part). ``policy``
        (W&B's): "now" uploads them at once, "end" at ``finish()``, "live" at once and again
        whenever one changes or a new one matches. Returns the names matched now."""
        return self._files.save(glob_str, base_path, policy)

    # -- summary --------------------------------------------------------------------------

    def _read_summary(self) -> dict[str, Any]:
        try:
            self._writer.flush()
        except Exception as exc:
            raise StoreError(f"run.summary: writing the buffered points failed: {exc}") from exc
        # The last value of each metric and what was set here: the summary when the store is
        # out of reach (offline, or a server that does not answer).
        local = {**self._writer.last_values, **self._explicit_summary}
        read_summary = getattr(self._backend, "read_summary", None)
        if self.mode == "online" and read_summary is not None:  # a server's backend decides
            return read_summary(self.id, local)
        if self.mode == "online":
            return dict(self._backend.get_run(self.id).summary)
        return local

    def _write_summary(self, values: dict[str, Any]) -> None:
        values = validation.summary_values(values)
        self._backend.set_summary(self.id, values)
        self._explicit_summary.update(values)

    # -- the end --------------------------------------------------------------------------

    def finish(
        self, exit_code: int | None = None, quiet: bool | None = None, *, status: str | None = None
    ) -> None:
        """Write everything buffered and mark the run FINISHED (or FAILED for a non-zero code).

        ``quiet`` is W&B's and changes nothing: tracklog prints no run summary. ``status``
        overrides the status: FINISHED, FAILED, KILLED or a synonym (completed, success,
        succeeded, crashed), in any case. A bad value raises here, and the run stays open."""
        exit_code = validation.exit_code(exit_code)
        if status is None:
            status = "FINISHED" if not exit_code else "FAILED"
        self._finish(exit_code, validation.end_status(status), None)

    def _finish(self, exit_code: int | None, status: str, error: str | None) -> None:
        if self._finished:
            return
        self._finished = True
        if self._capture is not None:
            self._capture.stop()
        self._watcher.unwatch()  # a hook firing after finish() would log to a finished run
        try:
            self._files.finish()
        except Exception as exc:  # a file that cannot be saved must not keep the run open
            warnings.warn(f"tracklog: saving the run's files failed: {exc}", stacklevel=3)
        if self._pending:
            self._commit_pending()
        self._writer.stop()
        failure: Exception | None = None
        end: dict[str, Any] = {
            "status": status,
            "exit_code": exit_code,
            "error": error,
            "end_time": now_ms(),
        }
        if self._writer.finish(**end):
            end = {}
        else:
            try:
                failure = rescue.retrying(
                    lambda: self._write_rest(end), f"run {self.id}'s last data"
                )
            except KeyboardInterrupt:  # Ctrl-C ends the waiting, not what is left: save it
                self._rescue(self._writer.error, end)
                raise
        if failure is not None or self._writer.rejected:
            self._rescue(failure, end)
        current.forget(self)

    def _write_rest(self, end: dict[str, Any]) -> None:
        """Write what is buffered and then, unless the store refused a batch, the run's end
        (emptying ``end``); one try of the retried end of :meth:`_finish`."""
        self._writer.flush()
        if end and not self._writer.rejected:
            self._backend.finish_run(self.id, **end)
            end.clear()

    def _rescue(self, failure: BaseException | None, end: dict[str, Any]) -> None:
        """Keep what the store did not take in a journal for ``tracklog sync``: batches it could
        not write, batches it refused, and the run's end (applied after them). The journal goes
        beside the store, or where :func:`rescue.folders` says when that cannot be written.

        While points are missing the store does not hold the run as it ended: where it takes
        the end, the run is FAILED with an error that says how to apply the rest (the journal's
        end replaces it then)."""
        writer = self._writer
        writer.collect_all()
        batches = writer.pending + writer.rejected
        points = rescue.points(batches)
        why = f"the store failed ({failure})" if failure else "the store refused them"
        name = f"{self.id}-rescue-{uuid.uuid4().hex[:8]}"
        try:
            folder = rescue.write_journal(
                rescue.folders(self._rescue_dir), name, self.id, batches, end
            )
        except OSError as journal_exc:
            lost = f" ({rescue.by_series(batches)})" if points else ""
            message = (
                f"tracklog: {points} points{lost} were not written because {why}, and saving "
                f"them to a rescue journal failed too ({journal_exc}); they are lost"
            )
            print(message, file=sys.stderr)
            self._end_incomplete(end, message)
            raise StoreError(message) from failure
        writer.pending.clear()
        writer.rejected.clear()
        command = f"tracklog sync {folder}" + (f" --uri {self._sync_uri}" if self._sync_uri else "")
        if not points:  # every point is stored; only the run's end is not
            print(
                f"tracklog: the run's end was not written because {why}; it was saved to "
                f"{folder}. Run `{command}` to apply it.",
                file=sys.stderr,
            )
            return
        saved = (
            f"{points} points were not written because {why}; they were saved to {folder} "
            f"({rescue.by_series(batches)})"
        )
        if end and self._end_incomplete(end, f"{saved}: `{command}` applies them"):
            after = (
                f"The run is marked FAILED, not {end['status']}, until `{command}` applies "
                "them and the run's end."
            )
        else:
            after = f"Run `{command}` to apply them" + (" and the run's end." if end else ".")
        print(f"tracklog: {saved}. {after}", file=sys.stderr)

    def _end_incomplete(self, end: dict[str, Any], note: str) -> bool:
        """End the run FAILED with ``note`` in its error (keeping the script's own error), when
        its end is not recorded yet; return whether the store took it."""
        if not end:
            return False
        error = note + (f"\n{end['error']}" if end.get("error") else "")
        try:
            self._backend.finish_run(
                self.id,
                "FAILED",
                exit_code=end["exit_code"],
                error=error,
                end_time=end["end_time"],
            )
        except Exception:  # the store is away: the crash check ends the run later
            return False
        return True

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish(0)
        else:
            status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            text = "".join(traceback.format_exception(exc_type, exc, tb))[-4000:]
            self._finish(1, status, text)

    def __repr__(self) -> str:
        return f"<tracklog Run {self.id} {self.name!r} in {self.project!r}>"


def _media(value: Any, key: str) -> Media | None:
    """``value`` as a media value (a plain ``str`` is :class:`Text`), or None for a number
    or anything else."""
    if isinstance(value, Media):
        return value
    if isinstance(value, str):
        try:
            return Text(value)
        except TracklogError as exc:
            raise type(exc)(f"{key!r}: {exc}") from None
    return None


def _number(value: Any, key: str) -> float:
    """A loggable number as float; anything else raises naming the key."""
    try:
        if isinstance(value, Real):
            return float(value)
    except OverflowError:
        raise InvalidValueError(
            f"metric {key!r}: {value} is too large for a 64-bit float"
        ) from None
    item = getattr(value, "item", None)
    if callable(item):  # one-element numpy arrays and torch tensors
        numel = getattr(value, "numel", None)
        if (numel() if callable(numel) else getattr(value, "size", None)) == 1:
            return float(item())
    raise InvalidTypeError(
        f"metric {key!r}: cannot log a value of type {type(value).__name__} ({value!r:.60}); "
        "log numbers, strings or media (tracklog.Text, tracklog.Html, ...)"
    )
