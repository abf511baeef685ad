"""The store: projects, runs, config, tags, metrics, summaries and files on one database.

One :class:`Store` serves SQLite and PostgreSQL alike. The SDK's local mode, the CLI and (later)
the server all call it, so every rule is applied in one place.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError, RunDeletedError
from tracklog.store import (
    alerts,
    json_output,
    media,
    media_rules,
    schema,
    series,
    stored_json,
    validation,
)
from tracklog.store import params as params_view
from tracklog.store.active_project import active_project_id, require_active_project
from tracklog.store.artifact_store import ArtifactVersionStore
from tracklog.store.artifacts import ArtifactRepository, safe_relpath
from tracklog.store.clock import now_ms
from tracklog.store.derived_summary import derived_summaries, summary_modes, summary_rows
from tracklog.store.engine import (
    checkpoint,
    execute_rows,
    insert_missing,
    open_engine,
    reading,
    upsert,
    writing,
)
from tracklog.store.liveness import owner_columns as _owner
from tracklog.store.liveness import process_alive
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.media_names import content_name
from tracklog.store.migrate import ensure_schema, refuse_foreign_sqlite
from tracklog.store.new_run import NewRun
from tracklog.store.paging import Page, PageSpec
from tracklog.store.project_keys import ProjectKeys
from tracklog.store.project_keys import project_keys as read_project_keys
from tracklog.store.query_limits import searching, set_search_timeout
from tracklog.store.records import (
    Alert,
    FileInfo,
    HistogramItem,
    MediaItem,
    MediaKey,
    MediaRecord,
    ProjectInfo,
    RunRecord,
    SeriesPoints,
    SeriesStats,
)
from tracklog.store.run_query import RunQuery
from tracklog.store.series_cache import SeriesCache

if TYPE_CHECKING:
    import numpy as np
    from typing_extensions import Unpack

    AnyRow = Row[Unpack[tuple[Any, ...]]]  # a row of any columns

_R = schema.runs
CHECKPOINT_POINTS = 65_536  # metric points written by this Store before finish_run checkpoints
# Derived summary values never overwrite ones set by hand (one object: upserts are cached by it).
_DERIVED_ONLY = schema.run_summary.c.explicit.is_(False)
_E = schema.experiments
# Hot statements built once: SET columns and rows come with each execution's parameters, so
# SQLAlchemy compiles each shape once instead of rebuilding the statement per call.
_INSERT_RUN = insert(_R)
_INSERT_PARAM = insert(schema.params)
_INSERT_LABEL = insert(schema.run_labels)
_UPDATE_RUN = update(_R).where(_R.c.id == bindparam("_run_id"))
# The run update of a metric batch (its heartbeat, and its end when the run finishes with it).
_TOUCH_RUN = _UPDATE_RUN.returning(_R.c.metric_defs, _R.c.lifecycle_stage)
HEARTBEAT_TIMEOUT_MS = int(os.environ.get("TRACKLOG_HEARTBEAT_TIMEOUT", "300")) * 1000


class Store(ArtifactVersionStore):
    """A tracklog store: a database plus an artifact root. Thread-safe; cheap to share.

    ``search_timeout_ms`` bounds every search (runs, experiments, registry, logged models);
    past it a search raises :class:`~tracklog.errors.SearchTimeoutError`. None: no bound.
    """

    def __init__(
        self, uri: str | StoreLocation | None = None, *, search_timeout_ms: int | None = None
    ) -> None:
        self.location = uri if isinstance(uri, StoreLocation) else resolve(uri)
        refuse_foreign_sqlite(self.location)
        self.engine = open_engine(self.location)
        set_search_timeout(self.engine, search_timeout_ms)
        ensure_schema(self.engine, self.location)
        self.artifacts = ArtifactRepository(self.location.artifact_root)
        self._series_cache = SeriesCache.from_env()
        self._points_since_checkpoint = 0

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- projects -------------------------------------------------------------------------

    def get_or_create_project(self, name: str) -> int:
        """The id of project ``name``, created if missing (one in the trash stays there)."""
        name = validation.name(name, "project name")
        with writing(self.engine) as conn:
            return self.ensure_project(conn, name)[0]

    def ensure_project(self, conn: Connection, name: str) -> tuple[int, bool]:
        """Inside a write transaction: the id of project ``name`` (a valid name), created if
        missing, and whether this call created it (of two racing creators, exactly one did)."""
        pid = conn.execute(select(_E.c.id).where(_E.c.name == name)).scalar()
        if pid is not None:
            return pid, False
        t = now_ms()
        row = {
            "name": name,
            "artifact_location": self.location.artifact_root,
            "lifecycle_stage": "active",
            "created_at": t,
            "updated_at": t,
        }
        inserted = insert_missing(conn, _E, [row], ("name",))
        if inserted:
            return inserted[0].id, True
        return conn.execute(select(_E.c.id).where(_E.c.name == name)).scalar_one(), False

    def writable_project(self, conn: Connection, name: str) -> int:
        """Inside a write transaction: the id of project ``name`` (a valid name) for a write
        into it, created if missing; one in the trash refuses (:func:`require_active_project`)."""
        pid = active_project_id(conn, name)
        if pid is None:
            pid, created = self.ensure_project(conn, name)
            if not created:  # by another writer a moment ago
                require_active_project(conn, pid)
        return pid

    def projects(self, name: str | None = None) -> list[ProjectInfo]:
        """Every project (or only the one called ``name``) with its number of active runs and
        last activity."""
        active = (_R.c.experiment_id == _E.c.id) & (_R.c.lifecycle_stage == "active")
        last = func.max(func.coalesce(_R.c.end_time, _R.c.heartbeat_at, _R.c.start_time))
        stmt = (
            select(_E.c.id, _E.c.name, func.count(_R.c.id), last, _E.c.lifecycle_stage)
            .outerjoin(_R, active)
            .group_by(_E.c.id, _E.c.name, _E.c.lifecycle_stage)
            .order_by(_E.c.name)
        )
        if name is not None:
            stmt = stmt.where(_E.c.name == name)  # reads only that project's runs
        with reading(self.engine) as conn:
            return [ProjectInfo(*r) for r in conn.execute(stmt)]

    def project_id(self, name: str) -> int:
        """The id of an existing project; raises :class:`NotFoundError` naming it."""
        return self.project_ids([name])[0]

    def project_ids(self, names: Sequence[str]) -> list[int]:
        """The ids of existing projects ``names``, looked up a thousand at a time (not one
        query per name: a search may name many); raises :class:`NotFoundError` naming the
        first that does not exist."""
        found: dict[str, int] = {}
        with reading(self.engine) as conn:
            for start in range(0, len(names), 1000):
                chunk = list(names[start : start + 1000])
                rows = conn.execute(select(_E.c.name, _E.c.id).where(_E.c.name.in_(chunk)))
                found.update((name, pid) for name, pid in rows)
        for name in names:
            if name not in found:
                raise NotFoundError(f"no project named {name!r}")
        return [found[name] for name in names]

    def project_keys(self, name: str, lifecycle: str = "active") -> ProjectKeys:
        """The config, summary-metric and tag keys of the runs of project ``name`` in
        ``lifecycle`` ("active", "deleted" or "all")."""
        return read_project_keys(self.engine, self.project_id(name), lifecycle)

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        project: str,
        *,
        run_id: str | None = None,
        name: str | None = None,
        user: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        notes: str | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
        pid: int | None = None,
        pid_started: int | None = None,
        host: str | None = None,
        config: Mapping[str, Any] | None = None,
        labels: Sequence[str] | None = None,
        owned: bool = True,
    ) -> RunRecord:
        """Create a RUNNING run in ``project`` with its first config and labels, in one
        transaction; ``run_id`` must not exist yet.

        The run is owned by process ``pid`` (default: this one) and marked crashed when that
        process is gone; ``owned=False`` records no process (an MLflow client's run, which
        only its client ends)."""
        new = NewRun.checked(
            project,
            run_id=run_id,
            name=name,
            user=user,
            host=host,
            group=group,
            job_type=job_type,
            notes=notes,
            parent_run_id=parent_run_id,
            start_time=start_time,
            pid=pid,
            pid_started=pid_started,
            config=config,
            labels=labels,
        )
        run_id = new.run_id
        # A new run's first config needs no merge: its JSON and params rows are known up front.
        param_rows = [params_view.row(run_id, p) for p in new.params]
        label_rows = [{"run_id": run_id, "label": label} for label in new.labels]
        t = new.start_time or now_ms()
        with writing(self.engine) as conn:
            exp = self.writable_project(conn, new.project)
            values = {
                "id": run_id,
                "experiment_id": exp,
                "name": new.name,
                "status": "RUNNING",
                "start_time": t,
                "end_time": None,
                "heartbeat_at": t,
                "user": new.user,
                **_owner(owned, new.pid, new.pid_started, new.host),
                "group_name": new.group,
                "job_type": new.job_type,
                "parent_run_id": new.parent_run_id,
                "notes": new.notes,
                "config": json_output.dumps(new.config),
                "metric_defs": "[]",
                "run_metadata": "{}",
                "exit_code": None,
                "error": None,
                "lifecycle_stage": "active",
                "artifact_uri": self.artifacts.run_root(exp, run_id),
            }
            try:
                conn.execute(_INSERT_RUN, values)
            except AlreadyExistsError:  # the id is taken; the transaction is rolled back
                raise AlreadyExistsError(f"a run with id {run_id!r} exists already") from None
            execute_rows(conn, _INSERT_PARAM, param_rows)
            execute_rows(conn, _INSERT_LABEL, label_rows)
        return _record(SimpleNamespace(**values), new.project, {}, sorted(new.labels), {})

    def has_run(self, run_id: str) -> bool:
        """Whether a run with this id exists (in any lifecycle stage)."""
        with reading(self.engine) as conn:
            return conn.execute(select(_R.c.id).where(_R.c.id == run_id)).first() is not None

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id; raises :class:`NotFoundError` naming the id."""
        with reading(self.engine) as conn:
            records = self._records(conn, conn.execute(select(_R).where(_R.c.id == run_id)))
        if not records:
            raise NotFoundError(f"no run with id {run_id!r}")
        return records[0]

    def resume_run(
        self,
        run_id: str,
        pid: int | None = None,
        host: str | None = None,
        pid_started: int | None = None,
        owned: bool = True,
    ) -> None:
        """Mark an existing run RUNNING again, owned by process ``pid`` (default: this one;
        none with ``owned=False``, as in :meth:`create_run`). A run whose project is in the
        trash is not resumed, as no new run starts there."""
        if host is not None:
            validation.bounded(host, "host")
        values = {
            "status": "RUNNING",
            "end_time": None,
            "exit_code": None,
            "error": None,
            "heartbeat_at": now_ms(),
            **_owner(owned, pid, pid_started, host),
        }
        with writing(self.engine) as conn:
            exp = conn.execute(select(_R.c.experiment_id).where(_R.c.id == run_id)).scalar()
            if exp is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            require_active_project(conn, exp)
            conn.execute(_UPDATE_RUN, {"_run_id": run_id, **values})

    def finish_run(
        self,
        run_id: str,
        status: str,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        end_time: int | None = None,
    ) -> None:
        """End a run with ``status`` (FINISHED, FAILED or KILLED)."""
        self._update_run(run_id, **_end_values(status, exit_code, error, end_time))
        self._checkpoint_now_and_then()

    def append_and_finish(
        self,
        run_id: str,
        batch: Sequence[SeriesPoints],
        batch_id: str | None,
        status: str,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        end_time: int | None = None,
    ) -> bool:
        """:meth:`append_metrics` and then :meth:`finish_run`, in one transaction: a run's last
        points and its end are stored together or not at all (and one commit is cheaper than
        two). Returns whether the batch was applied (False: ``batch_id`` was applied before;
        the run is ended either way)."""
        end = _end_values(status, exit_code, error, end_time)
        applied = self.append_batches(run_id, [(batch, batch_id)], end) == 1
        self._checkpoint_now_and_then()
        return applied

    def _checkpoint_now_and_then(self) -> None:
        """At a run's end, fold the WAL back after a lot of writing, not after every small
        run: a checkpoint copies every page written since the last one and syncs the file."""
        if self._points_since_checkpoint >= CHECKPOINT_POINTS:
            self._points_since_checkpoint = 0
            checkpoint(self.engine)

    def update_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Rename a run, replace its notes, or merge keys into its captured metadata (read,
        merged and written in one transaction, so concurrent merges keep each other's keys)."""
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = validation.name(name, "run name")
        if notes is not None:
            values["notes"] = validation.run_notes(notes)
        if metadata is None:
            if values:
                self._update_run(run_id, **values)
            return
        added = validation.json_value(dict(metadata), "metadata")
        with writing(self.engine) as conn:
            row = _locked_run(conn, run_id, _R.c.run_metadata)
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            merged = {**stored_json.loads(row.run_metadata), **added}
            values["run_metadata"] = json_output.dumps(merged)
            conn.execute(_UPDATE_RUN, {"_run_id": run_id, **values})

    def heartbeat(self, run_id: str) -> None:
        """Record that the run's process is alive."""
        self._update_run(run_id, heartbeat_at=now_ms())

    def delete_run(self, run_id: str) -> None:
        """Move a run to the trash (lifecycle ``deleted``); :meth:`restore_run` undoes it."""
        self._update_run(run_id, lifecycle_stage="deleted", deleted_at=now_ms())

    def restore_run(self, run_id: str) -> None:
        """Bring a run back from the trash."""
        self._update_run(run_id, lifecycle_stage="active", deleted_at=None)

    def _update_run(self, run_id: str, **values: Any) -> None:
        with writing(self.engine) as conn:
            done = conn.execute(_UPDATE_RUN, {"_run_id": run_id, **values})
        if done.rowcount == 0:
            raise NotFoundError(f"no run with id {run_id!r}")

    def crashed_runs(self) -> dict[str, tuple[int, str]]:
        """Every RUNNING run whose process is gone, found without writing: id → the end time
        and error :meth:`mark_crashed_runs` records (readers show them until a writer does).

        A run is gone when it ran on this host and its process no longer exists, or when its
        heartbeat is older than ``$TRACKLOG_HEARTBEAT_TIMEOUT`` seconds (default 300). Runs
        without an owning process (``owned=False``) are left alone: their client ends them.
        """
        here, t = socket.gethostname(), now_ms()
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(_R.c.id, _R.c.host, _R.c.pid, _R.c.pid_started, _R.c.heartbeat_at).where(
                    _R.c.status == "RUNNING", _R.c.pid.is_not(None)
                )
            ).all()
        crashed = {}
        for r in rows:
            if r.host == here and r.pid is not None and not process_alive(r.pid, r.pid_started):
                why = f"process {r.pid} on {r.host} ended without finishing the run"
            elif r.heartbeat_at is not None and t - r.heartbeat_at > HEARTBEAT_TIMEOUT_MS:
                why = f"no heartbeat from {r.host} for {(t - r.heartbeat_at) // 1000} s"
            else:
                continue
            crashed[r.id] = (r.heartbeat_at or t, f"crashed: {why}")
        return crashed

    def mark_crashed_runs(self) -> list[str]:
        """Mark FAILED every run :meth:`crashed_runs` finds; return their ids."""
        crashed = self.crashed_runs()
        for run_id, (end_time, error) in crashed.items():
            with writing(self.engine) as conn:
                conn.execute(
                    update(_R)
                    .where((_R.c.id == run_id) & (_R.c.status == "RUNNING"))
                    .values(status="FAILED", end_time=end_time, error=error)
                )
        return list(crashed)

    # -- config, tags, labels -------------------------------------------------------------

    def set_config(
        self,
        run_id: str,
        updates: Mapping[str, Any],
        *,
        immutable: bool = False,
        change_id: str | None = None,
    ) -> list[tuple[str, Any, Any]]:
        """Deep-merge ``updates`` into the run's config; return the (key, old, new) changes.

        Changed keys are kept in the run's config history (``config_changes``). With
        ``immutable`` (MLflow's params), changing a key's value is :class:`InvalidValueError`
        and nothing is written; setting the same value again is fine. With a ``change_id``
        (journaled calls), a call applied before is skipped and returns no changes: replaying
        ``lr=0.1`` then ``lr=0.2`` again would otherwise add two history entries.
        """
        if change_id is not None:
            validation.bounded(change_id, "change id", validation.MAX_BATCH_ID)
        with writing(self.engine) as conn:
            if change_id is not None:
                self._require_active_run(conn, run_id)  # before the claim refers to it
                if not self._claim_id(conn, run_id, change_id):
                    return []
            return self._set_config(conn, run_id, updates, immutable=immutable)

    def _set_config(
        self,
        conn: Connection,
        run_id: str,
        updates: Mapping[str, Any],
        immutable: bool = False,
    ) -> list[tuple[str, Any, Any]]:
        """``set_config`` inside a transaction."""
        updates = validation.json_value(dict(updates), "config")
        found = _writable_row(run_id, _locked_run(conn, run_id, _R.c.config, _R.c.lifecycle_stage))
        old_config = stored_json.loads(found.config)
        new_config = params_view.merge(old_config, updates)
        old_flat = params_view.flatten(old_config)
        new_flat = params_view.flatten(new_config)
        touched = {  # compared as JSON, so True and 1 count as different values
            k: v
            for k, v in new_flat.items()
            if k not in old_flat or json_output.dumps(old_flat[k]) != json_output.dumps(v)
        }
        rows = [params_view.param_row(run_id, k, v) for k, v in touched.items()]
        changes = [(k, old_flat[k], v) for k, v in touched.items() if k in old_flat]
        if immutable and changes:
            key, old, new = changes[0]
            raise InvalidValueError(
                f"Changing param values is not allowed. Param with key='{key}' was already "
                f"logged with value='{old}' for run ID='{run_id}'. Attempted logging new value "
                f"'{new}'."
            )
        gone = [k for k in old_flat if k not in new_flat]
        conn.execute(
            update(_R).where(_R.c.id == run_id).values(config=json_output.dumps(new_config))
        )
        if gone:
            conn.execute(
                schema.params.delete().where(
                    (schema.params.c.run_id == run_id) & schema.params.c.key.in_(gone)
                )
            )
        upsert(conn, schema.params, rows, ("run_id", "key"), ("value", "value_num"))
        if changes:
            t = now_ms()
            conn.execute(
                insert(schema.config_changes),
                [
                    {
                        "run_id": run_id,
                        "key": k,
                        "old_value": json_output.dumps(old),
                        "new_value": json_output.dumps(new),
                        "changed_at": t,
                    }
                    for k, old, new in changes
                ],
            )
        return changes

    def add_alert(
        self,
        run_id: str,
        alert_id: str,
        title: str,
        text: str,
        level: str = "INFO",
        time_ms: int | None = None,
    ) -> bool:
        """Record an alert of the run (W&B's ``run.alert``); False when ``alert_id`` was
        recorded for it before (a replay), so a notification is sent once."""
        alert_id, title, text, level = validation.alert(alert_id, title, text, level)
        t = validation.integer(time_ms, "alert time") or now_ms()
        with writing(self.engine) as conn:
            self._require_active_run(conn, run_id)
            return alerts.add(conn, Alert(alert_id, run_id, title, text, level, t))

    def alerts(self, run_id: str) -> list[Alert]:
        """The run's alerts in the order they were recorded."""
        with reading(self.engine) as conn:
            self._require_run(conn, run_id)
            return alerts.of_run(conn, run_id)

    def config_history(self, run_id: str) -> list[dict[str, Any]]:
        """Every change of an existing config key, oldest first."""
        cc = schema.config_changes
        with reading(self.engine) as conn:
            rows = conn.execute(select(cc).where(cc.c.run_id == run_id).order_by(cc.c.id)).all()
        return [
            {
                "key": r.key,
                "old": stored_json.loads(r.old_value),
                "new": stored_json.loads(r.new_value),
                "changed_at": r.changed_at,
            }
            for r in rows
        ]

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set key → value tags (MLflow-style); existing keys are overwritten."""
        rows = [{"run_id": run_id, "key": k, "value": v} for k, v in validation.tags(tags).items()]
        with writing(self.engine) as conn:
            self._require_active_run(conn, run_id)
            upsert(conn, schema.run_tags, rows, ("run_id", "key"), ("value",))

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove one tag; raises :class:`NotFoundError` if the run has no such tag."""
        t = schema.run_tags
        with writing(self.engine) as conn:
            done = conn.execute(t.delete().where((t.c.run_id == run_id) & (t.c.key == key)))
        if done.rowcount == 0:
            raise NotFoundError(f"run {run_id!r} has no tag {key!r}")

    def add_labels(self, run_id: str, labels: Iterable[str]) -> None:
        """Add plain labels (W&B-style tags) to a run."""
        with writing(self.engine) as conn:
            self._require_active_run(conn, run_id)
            self._add_labels(conn, run_id, labels)

    def _add_labels(self, conn: Connection, run_id: str, labels: Iterable[str]) -> None:
        rows = [{"run_id": run_id, "label": validation.key(lb, "tag")} for lb in labels]
        upsert(conn, schema.run_labels, rows, ("run_id", "label"), ())

    def remove_labels(self, run_id: str, labels: Iterable[str]) -> None:
        """Remove plain labels from a run (missing ones are ignored)."""
        t = schema.run_labels
        with writing(self.engine) as conn:
            conn.execute(t.delete().where((t.c.run_id == run_id) & t.c.label.in_(list(labels))))

    # -- metrics and summary --------------------------------------------------------------

    def set_metric_defs(self, run_id: str, defs: Sequence[Mapping[str, Any]]) -> None:
        """Store the run's ``define_metric`` declarations (glob ``name``, ``summary``, ...)."""
        clean = [validation.metric_def(d) for d in defs]
        with writing(self.engine) as conn:
            self._require_active_run(conn, run_id)
            conn.execute(
                update(_R).where(_R.c.id == run_id).values(metric_defs=json_output.dumps(clean))
            )
            # Points logged before the definition are summarised by it too.
            stats = series.list_stats(conn, [run_id])[run_id]
            summaries = derived_summaries(stats, summary_modes(clean))
            self._write_summary(conn, run_id, summaries, explicit=False)

    def append_metrics(
        self, run_id: str, batch: Sequence[SeriesPoints], batch_id: str | None = None
    ) -> bool:
        """Append points to the run's series and refresh their summaries, in one transaction.

        With a ``batch_id``, a batch that was applied before is skipped (returns False), so a
        replayed journal is applied exactly once.
        """
        return self.append_batches(run_id, [(batch, batch_id)]) == 1

    def append_batches(
        self,
        run_id: str,
        batches: Sequence[tuple[Sequence[SeriesPoints], str | None]],
        run_values: Mapping[str, Any] | None = None,
    ) -> int:
        """Several :meth:`append_metrics` calls on one run as one: one transaction, and each
        series' tail chunk rewritten once for all their points (in order). Batches whose id
        was applied before are skipped; returns how many were applied. ``run_values`` are set
        on the run in the same transaction (a run's end), applied batches or not."""
        for batch, batch_id in batches:
            for one in batch:
                validation.series_points(one)
            self._check_batch_id(batch_id)
        with writing(self.engine) as conn:
            touch = {"_run_id": run_id, "heartbeat_at": now_ms(), **(run_values or {})}
            defs = _writable_row(run_id, conn.execute(_TOUCH_RUN, touch).first()).metric_defs
            fresh = [
                batch
                for batch, batch_id in batches
                if batch_id is None or self._claim_id(conn, run_id, batch_id)
            ]
            if not fresh:
                return 0
            points = [p for batch in fresh for p in batch]
            modes = summary_modes(stored_json.loads(defs))
            summaries = derived_summaries(series.append(conn, run_id, points), modes)
            self._write_summary(conn, run_id, summaries, explicit=False)
        self._points_since_checkpoint += sum(len(p.steps) for p in points)
        return len(fresh)

    def _check_batch_id(self, batch_id: str | None) -> None:
        if batch_id is not None:
            validation.bounded(batch_id, "batch id", validation.MAX_BATCH_ID)

    def _was_applied(self, conn: Connection, run_id: str, write_id: str) -> bool:
        ab = schema.applied_batches
        found = select(ab.c.run_id).where(ab.c.run_id == run_id, ab.c.batch_id == write_id)
        return conn.execute(found).first() is not None

    def _claim_id(self, conn: Connection, run_id: str, write_id: str) -> bool:
        """Record that the write ``write_id`` (a metric batch, a config change) of the run is
        applied; False when it was before."""
        row = {"run_id": run_id, "batch_id": write_id}
        return bool(insert_missing(conn, schema.applied_batches, [row], ("run_id", "batch_id")))

    def set_summary(self, run_id: str, values: Mapping[str, Any]) -> None:
        """Set summary values by hand; they win over the values derived from metrics."""
        clean = validation.summary_values(values)
        with writing(self.engine) as conn:
            self._require_active_run(conn, run_id)
            self._write_summary(conn, run_id, clean, explicit=True)

    def _write_summary(
        self, conn: Connection, run_id: str, values: dict[str, Any], explicit: bool
    ) -> None:
        """Upsert summary values, checked already (by hand: :func:`validation.summary_values`;
        derived: a metric's number or None)."""
        upsert(
            conn,
            schema.run_summary,
            summary_rows(run_id, values, explicit),
            ("run_id", "key"),
            ("value_num", "value_json", "explicit"),
            where=None if explicit else _DERIVED_ONLY,
            plain=True,
        )

    def read_series(
        self, run_id: str, key: str, context: Mapping[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every point of a series as read-only (steps, values, timestamps) numpy arrays, by
        step (then arrival); decoded series are cached in memory (``$TRACKLOG_SERIES_CACHE_MB``)."""
        ctx = validation.context(context)
        with reading(self.engine) as conn:
            self._require_run(conn, run_id)
            found = series.read(conn, run_id, key, ctx, self._series_cache)
        if found is None:
            where = f" with context {ctx}" if ctx else ""
            raise NotFoundError(f"run {run_id!r} has no metric {key!r}{where}")
        return found

    def series_stats(self, run_id: str) -> list[SeriesStats]:
        """The statistics of every series of a run."""
        with reading(self.engine) as conn:
            self._require_run(conn, run_id)
            return series.list_stats(conn, [run_id])[run_id]

    def series_stats_of(self, run_ids: Sequence[str]) -> dict[str, list[SeriesStats]]:
        """The statistics of every series of each run, read in one transaction (a run that
        does not exist has none)."""
        with reading(self.engine) as conn:
            return series.list_stats(conn, list(run_ids))

    # -- media and histograms -------------------------------------------------------------

    def log_media(
        self, run_id: str, items: Sequence[MediaItem], batch_id: str | None = None
    ) -> bool:
        """Store media values: each file (and attachment) under ``media/<content name>`` in
        the run's files (the same bytes once), then their index rows in one transaction.

        The whole batch is checked before anything is written; with a ``batch_id``, a batch
        applied before is skipped (returns False), as in :meth:`append_metrics`."""
        checked = [media_rules.media_item(item) for item in items]
        self._check_batch_id(batch_id)
        with reading(self.engine) as conn:
            found = select(_R.c.lifecycle_stage, _R.c.artifact_uri).where(_R.c.id == run_id)
            row = _writable_row(run_id, conn.execute(found).first())
            if batch_id is not None and self._was_applied(conn, run_id, batch_id):
                return False
        # Files first: a batch whose rows fail leaves files no row names, never a row
        # naming a missing file (and the same batch sent again finds them there).
        names = [content_name(item.data, item.ext) for item in checked]
        attached = [(content_name(a.data, a.ext), a.data) for it in checked for a in it.attachments]
        files = [*zip(names, (item.data for item in checked), strict=True), *attached]
        self.artifacts.write_new(row.artifact_uri, media.MEDIA_DIR, files)
        rows = [
            (it, f"{media.MEDIA_DIR}/{name}", len(it.data))
            for it, name in zip(checked, names, strict=True)
        ]
        return self._write_claimed(
            run_id, batch_id, lambda conn: media.insert_rows(conn, run_id, rows)
        )

    def log_histograms(
        self, run_id: str, items: Sequence[HistogramItem], batch_id: str | None = None
    ) -> bool:
        """Store histograms (one row per step) in one transaction, the whole batch checked
        first; a batch whose ``batch_id`` was applied before is skipped (returns False)."""
        checked = [media_rules.histogram_item(item) for item in items]
        self._check_batch_id(batch_id)
        return self._write_claimed(
            run_id, batch_id, lambda conn: media.insert_histograms(conn, run_id, checked)
        )

    def _write_claimed(
        self, run_id: str, batch_id: str | None, write: Callable[[Connection], None]
    ) -> bool:
        """In one transaction: refuse a run that cannot be written, claim ``batch_id`` (False
        when it was applied before), then ``write``."""
        with writing(self.engine) as conn:
            self._require_active_run(conn, run_id)
            if batch_id is not None and not self._claim_id(conn, run_id, batch_id):
                return False
            write(conn)
        return True

    def media(
        self, run_id: str, key: str | None = None, context: Mapping[str, Any] | None = None
    ) -> list[MediaRecord]:
        """The run's media records by key, context and step: of ``key`` only where given, and
        of ``context`` only where given (``{}``: no context)."""
        ctx = None if context is None else validation.context(context)
        with reading(self.engine) as conn:
            self._require_run(conn, run_id)
            return media.read_media(conn, run_id, key, ctx)

    def media_keys(self, run_id: str) -> list[MediaKey]:
        """Each media and histogram key of the run (per context and kind), with its number
        of values and last step."""
        with reading(self.engine) as conn:
            self._require_run(conn, run_id)
            return media.read_keys(conn, run_id)

    def histograms(
        self, run_id: str, key: str, context: Mapping[str, Any] | None = None
    ) -> list[HistogramItem]:
        """The run's histograms of ``key`` by context and step (of ``context`` only where
        given, ``{}``: no context)."""
        ctx = None if context is None else validation.context(context)
        with reading(self.engine) as conn:
            self._require_run(conn, run_id)
            return media.read_histograms(conn, run_id, key, ctx)

    # -- search ---------------------------------------------------------------------------

    def search_runs(
        self,
        projects: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
        lifecycle: str = "active",
    ) -> list[RunRecord]:
        """Runs matching MLflow's filter grammar, ordered by ``order_by`` (the first ``limit``
        of them): :meth:`search_runs_page` of these arguments."""
        query = RunQuery.of(projects, filter, order_by, lifecycle, PageSpec.first(limit))
        return self.search_runs_page(query).items

    def search_runs_page(self, query: RunQuery) -> Page[RunRecord]:
        """One page of the runs matching ``query``, sliced in the database."""
        from tracklog.store.search import query_statement

        query = self._resolved(query)
        with searching(self.engine) as conn:
            # The row past the page only says whether another follows: no record is built of it.
            rows: Page[Any] = Page.of(list(conn.execute(query_statement(query))), query.page)
            return Page(self._records(conn, rows.items), rows.offset, rows.more, rows.total)

    def search_run_ids(
        self,
        projects: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
        lifecycle: str = "active",
    ) -> list[str]:
        """The ids :meth:`search_runs` would return, in the same order, without loading the
        runs (cheap for tens of thousands of matches; load them with :meth:`get_runs`)."""
        query = RunQuery.of(projects, filter, order_by, lifecycle, PageSpec.first(limit))
        return self.search_page(query).items

    def search_page(self, query: RunQuery, count: bool = False) -> Page[str]:
        """One page of the ids of the runs matching ``query`` (sliced in the database), and
        how many match in all if ``count``; load the runs with :meth:`get_runs`."""
        from tracklog.store.search import run_ids_page

        return run_ids_page(self.engine, self._resolved(query), count)

    def _resolved(self, query: RunQuery) -> RunQuery:
        """``query`` with its project names turned into experiment ids."""
        if query.projects is None:
            return query
        ids = self.project_ids(query.projects)
        if query.experiment_ids is not None:  # both given: the runs in both
            ids = [i for i in ids if i in query.experiment_ids]
        return replace(query, projects=None, experiment_ids=tuple(ids))

    def get_runs(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """The runs with these ids, in the order given (ids that do not exist are skipped)."""
        with reading(self.engine) as conn:
            found = {
                r.id: r
                for part in _batches(list(run_ids), 500)
                for r in self._records(conn, conn.execute(select(_R).where(_R.c.id.in_(part))))
            }
        return [found[i] for i in run_ids if i in found]

    # -- files ----------------------------------------------------------------------------

    def log_artifact(self, run_id: str, source: Path, dest: str) -> list[FileInfo]:
        """Copy a local file or folder into the run's files under ``dest``."""
        run = self.get_run(run_id)
        _check_writable(run_id, run.lifecycle_stage)
        stored = self.artifacts.upload(run.artifact_uri, Path(source), dest)
        self._record_files(run_id, stored)
        return stored

    def write_file(self, run_id: str, path: str, chunks: Iterable[bytes]) -> FileInfo:
        """Store a stream of bytes as file ``path`` of the run."""
        run = self.get_run(run_id)
        _check_writable(run_id, run.lifecycle_stage)
        info = self.artifacts.write(run.artifact_uri, path, chunks)
        self._record_files(run_id, [info])
        return info

    def open_file(self, run_id: str, path: str) -> BinaryIO:
        """Open file ``path`` of the run for reading (the caller closes it)."""
        return self.artifacts.open(self.get_run(run_id).artifact_uri, path)

    def _record_files(self, run_id: str, files: list[FileInfo]) -> None:
        t = now_ms()
        rows = [{"run_id": run_id, "path": f.path, "size": f.size, "created_at": t} for f in files]
        with writing(self.engine) as conn:
            upsert(conn, schema.run_files, rows, ("run_id", "path"), ("size", "created_at"))

    def delete_file(self, run_id: str, path: str) -> None:
        """Delete file ``path`` of the run, or every file under it if it is a folder."""
        run = self.get_run(run_id)
        _check_writable(run_id, run.lifecycle_stage)
        path = safe_relpath(path)
        self.artifacts.delete(run.artifact_uri, path)
        t = schema.run_files
        with writing(self.engine) as conn:
            conn.execute(
                t.delete().where(
                    t.c.run_id == run_id, (t.c.path == path) | t.c.path.startswith(f"{path}/")
                )
            )

    def list_files(self, run_id: str) -> list[FileInfo]:
        """The files of a run, by path."""
        t = schema.run_files
        with reading(self.engine) as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(select(t).where(t.c.run_id == run_id).order_by(t.c.path))
            return [FileInfo(r.path, r.size) for r in rows]

    def download_file(self, run_id: str, path: str, dest: Path) -> Path:
        """Copy a run's file (or folder) to ``dest``."""
        return self.artifacts.download(self.get_run(run_id).artifact_uri, path, Path(dest))

    # -- helpers --------------------------------------------------------------------------

    def _require_run(self, conn: Connection, run_id: str) -> None:
        if conn.execute(select(_R.c.id).where(_R.c.id == run_id)).first() is None:
            raise NotFoundError(f"no run with id {run_id!r}")

    def _require_active_run(self, conn: Connection, run_id: str) -> None:
        stage = conn.execute(select(_R.c.lifecycle_stage).where(_R.c.id == run_id)).scalar()
        _check_writable(run_id, stage)

    def _records(self, conn: Connection, rows: Iterable[Any]) -> list[RunRecord]:
        rows = list(rows)
        ids = [r.id for r in rows]
        names = dict(conn.execute(select(_E.c.id, _E.c.name)).all())
        tags: dict[str, dict[str, str]] = {i: {} for i in ids}
        labels: dict[str, list[str]] = {i: [] for i in ids}
        summary: dict[str, dict[str, Any]] = {i: {} for i in ids}
        for part in _batches(ids, 500):
            t, lb, s = schema.run_tags, schema.run_labels, schema.run_summary
            for r in conn.execute(select(t).where(t.c.run_id.in_(part))):
                tags[r.run_id][r.key] = r.value
            for r in conn.execute(select(lb).where(lb.c.run_id.in_(part)).order_by(lb.c.label)):
                labels[r.run_id].append(r.label)
            for r in conn.execute(select(s).where(s.c.run_id.in_(part)).order_by(s.c.key)):
                summary[r.run_id][r.key] = stored_json.loads(r.value_json)
        return [
            _record(r, names[r.experiment_id], tags[r.id], labels[r.id], summary[r.id])
            for r in rows
        ]

    # -- housekeeping ---------------------------------------------------------------------

    def purge_deleted_runs(
        self,
        older_than_ms: int | None = None,
        dry_run: bool = False,
        *,
        run_ids: Collection[str] | None = None,
    ) -> list[RunRecord]:
        """Remove runs in the trash for good, with all their rows and their artifact folder.

        ``older_than_ms`` keeps runs deleted less than that many milliseconds ago (and runs
        whose deletion time is unknown); ``run_ids`` limits the purge to these ids. Each run
        goes in its own transaction, which checks again that it is still in the trash; its
        files are deleted once its row is gone. Returns the runs purged (with ``dry_run``,
        those that would be, changing nothing). Runs not in the trash are never touched.
        """
        if older_than_ms is not None and (
            not isinstance(older_than_ms, int)
            or isinstance(older_than_ms, bool)
            or older_than_ms < 0
        ):
            raise InvalidValueError(f"older_than_ms must be an integer >= 0, got {older_than_ms!r}")
        cond = [_R.c.lifecycle_stage == "deleted"]
        if older_than_ms is not None:
            cond.append(_R.c.deleted_at <= now_ms() - older_than_ms)
        stmt = select(_R).where(*cond).order_by(_R.c.deleted_at, _R.c.id)
        with reading(self.engine) as conn:
            candidates = self._records(conn, conn.execute(stmt))
        if run_ids is not None:
            wanted = set(run_ids)
            candidates = [r for r in candidates if r.id in wanted]
        if dry_run:
            return candidates
        purged = []
        for run in candidates:
            with writing(self.engine) as conn:
                done = conn.execute(delete(_R).where(_R.c.id == run.id, *cond))
            if done.rowcount == 1:  # 0: restored (or purged) by someone else meanwhile
                self.artifacts.delete_run_files(run.artifact_uri)
                purged.append(run)
        return purged


def _record(
    r: Any, project: str, tags: dict[str, str], labels: list[str], summary: dict[str, Any]
) -> RunRecord:
    """A RunRecord from a ``runs`` row and the run's tags, labels and summary."""
    return RunRecord(
        id=r.id,
        project=project,
        experiment_id=r.experiment_id,
        name=r.name,
        status=r.status,
        start_time=r.start_time,
        end_time=r.end_time,
        user=r.user,
        host=r.host,
        group=r.group_name,
        job_type=r.job_type,
        notes=r.notes,
        exit_code=r.exit_code,
        error=r.error,
        lifecycle_stage=r.lifecycle_stage,
        artifact_uri=r.artifact_uri,
        config=stored_json.loads(r.config),
        tags=tags,
        labels=labels,
        summary=summary,
        metric_defs=stored_json.loads(r.metric_defs),
        metadata=stored_json.loads(r.run_metadata),
    )


def _end_values(
    status: str, exit_code: int | None, error: str | None, end_time: int | None
) -> dict[str, Any]:
    """The run columns that end a run with ``status`` (FINISHED, FAILED or KILLED)."""
    return {
        "status": validation.end_status(status),
        "exit_code": validation.exit_code(exit_code),
        "error": validation.error_text(error),
        "end_time": end_time or now_ms(),
    }


def _locked_run(conn: Connection, run_id: str, *columns: Any) -> AnyRow | None:
    """Inside a write transaction: the run's ``columns``, read for a merge and write in the
    same transaction. The row stays locked until the transaction ends (PostgreSQL: FOR NO KEY
    UPDATE, which the foreign-key checks of rows inserted for the run do not wait on; SQLite's
    writers hold the whole file already), so a concurrent merge waits and then reads this
    one's result instead of overwriting it."""
    stmt = select(*columns).where(_R.c.id == run_id).with_for_update(key_share=True)
    return conn.execute(stmt).first()


def _writable_row(run_id: str, row: AnyRow | None) -> AnyRow:
    """The run's ``row`` (it holds ``lifecycle_stage``), once writes to the run are allowed."""
    if row is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    _check_writable(run_id, row.lifecycle_stage)
    return row


def _check_writable(run_id: str, lifecycle_stage: str | None) -> None:
    """Writes need an existing run that is not in the trash."""
    if lifecycle_stage is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    if lifecycle_stage == "deleted":
        raise RunDeletedError(f"run {run_id!r} is in the trash; restore it before writing to it")


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
