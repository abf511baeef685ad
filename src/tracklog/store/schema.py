"""The tables of a tracklog store (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Times are integer milliseconds since the epoch. Metric points are not rows here: they live in
compressed columnar chunks (``metric_chunks``, see :mod:`tracklog.store.codec`), with one
``metric_series`` row per (run, key, context) holding the series' running statistics.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

RUN_ID = String(32)
KEY = String(250)

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False, default="active"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# MLflow's experiment tags (key -> value); the Default experiment has id 0, as in MLflow.
experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", RUN_ID, primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id"), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger),
    Column("heartbeat_at", BigInteger),
    Column("user", String(256)),
    Column("host", String(256)),
    Column("pid", Integer),
    Column("pid_started", BigInteger),  # the process's start time, to tell a reused pid
    Column("group_name", String(256)),
    Column("job_type", String(256)),
    Column("parent_run_id", RUN_ID),
    Column("notes", Text),
    Column("config", Text, nullable=False, default="{}"),
    Column("metric_defs", Text, nullable=False, default="[]"),
    Column("run_metadata", Text, nullable=False, default="{}", server_default="{}"),
    Column("exit_code", Integer),
    Column("error", Text),
    Column("lifecycle_stage", String(16), nullable=False, default="active"),
    Column("deleted_at", BigInteger),
    Column("artifact_uri", Text, nullable=False),
)

params = Table(
    "params",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
    Column("value_num", Float),
    Index("ix_params_key_num", "key", "value_num", "run_id"),
)

config_changes = Table(
    "config_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("key", KEY, nullable=False),
    Column("old_value", Text, nullable=False),
    Column("new_value", Text, nullable=False),
    Column("changed_at", BigInteger, nullable=False),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
)

run_labels = Table(
    "run_labels",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("label", KEY, primary_key=True),
)

metric_series = Table(
    "metric_series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", KEY, nullable=False),
    Column("context", Text, nullable=False, default=""),
    Column("count", BigInteger, nullable=False, default=0),
    Column("finite_count", BigInteger, nullable=False, default=0),
    Column("sum", Float, default=0.0),  # NULL once the finite values overflow to inf - inf
    Column("min", Float),
    Column("max", Float),
    Column("first", Float),
    Column("last", Float),
    Column("last_step", BigInteger),
    Column("max_step", BigInteger),
    Column("last_time", BigInteger),
    Column("chunk_count", Integer, nullable=False, default=0),
    UniqueConstraint("run_id", "key", "context", name="uq_metric_series_run_key_context"),
)

metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column(
        "series_id",
        Integer,
        ForeignKey("metric_series.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

run_summary = Table(
    "run_summary",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("value_num", Float),
    Column("value_json", Text, nullable=False),
    Column("explicit", Boolean, nullable=False, default=False),
    Index("ix_run_summary_key_num", "key", "value_num", "run_id"),
)

run_files = Table(
    "run_files",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# Datasets a run used (MLflow's log-inputs): one row per (run, dataset name, digest).
run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(500), primary_key=True),
    Column("digest", String(36), primary_key=True),
    Column("source_type", String(36), nullable=False),
    Column("source", Text, nullable=False),
    Column("dataset_schema", Text),
    Column("profile", Text),
    Column("tags", Text, nullable=False, default="{}"),  # the input's tags (mlflow.data.context)
    Column("created_at", BigInteger, nullable=False),
)

# Ids of the journaled writes applied to a run (metric batches, config changes), so a replayed
# journal or a resent ingest request applies each once.
applied_batches = Table(
    "applied_batches",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("batch_id", String(64), primary_key=True),
)

# Auth (``tracklog server --auth``): see tracklog.store.auth. Secrets are never stored: a
# password as its argon2 hash, a token as the SHA-256 of its random secret.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("password_hash", Text),  # NULL: the user signs in with tokens only
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(256)),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger),
    Column("revoked_at", BigInteger),
    Column("expires_at", BigInteger),  # NULL: never expires
)

project_permissions = Table(
    "project_permissions",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("permission", String(16), nullable=False),  # READ, EDIT or MANAGE
    Index("ix_project_permissions_user", "user_id"),
)

# Model registry (MLflow's registered models and model versions): see store.mlflow.registry.
registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("user", String(256), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # The highest version number ever given out: numbers of deleted versions are not reused.
    Column("last_version", Integer, nullable=False, default=0),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("version", Integer, nullable=False),
    Column("stage", String(16), nullable=False, default="None"),
    Column("status", String(32), nullable=False, default="READY"),
    Column("status_message", Text, nullable=False, default=""),
    Column("source", Text, nullable=False),
    Column("storage_location", Text),  # where the files are, when ``source`` is indirect
    Column("run_id", RUN_ID),
    Column("run_link", Text, nullable=False, default=""),
    Column("logged_model_id", String(64)),
    Column("description", Text, nullable=False, default=""),
    Column("user", String(256), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column(
        "version_id", Integer, ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alias", String(256), primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("model_versions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

# MLflow 3 logged models: see tracklog.store.mlflow.logged_models.
LOGGED_MODEL_ID = String(64)

logged_models = Table(
    "logged_models",
    metadata,
    Column("id", LOGGED_MODEL_ID, primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id"), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=False, default=""),
    Column("model_type", String(256), nullable=False, default=""),
    Column("source_run_id", RUN_ID),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False, default="active"),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column(
        "model_id",
        LOGGED_MODEL_ID,
        ForeignKey("logged_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column(
        "model_id",
        LOGGED_MODEL_ID,
        ForeignKey("logged_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
)

logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model_id",
        LOGGED_MODEL_ID,
        ForeignKey("logged_models.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("key", KEY, nullable=False),
    Column("value", Float),  # NULL is NaN: SQLite cannot hold a NaN
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("run_id", RUN_ID),
    Column("dataset_name", String(256)),
    Column("dataset_digest", String(36)),
)

# Which logged models a run produced, and at which step (MLflow's ``runs/outputs``).
run_model_outputs = Table(
    "run_model_outputs",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "model_id",
        LOGGED_MODEL_ID,
        ForeignKey("logged_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("step", BigInteger, nullable=False, default=0),
)

# Which logged models a run used as inputs (MLflow's ``log-inputs`` with ``models``).
run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "model_id",
        LOGGED_MODEL_ID,
        ForeignKey("logged_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


def _logged_at() -> list[Column[Any]]:
    """The columns that place a media value or histogram: its run, key, context, step, time."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        Column("key", KEY, nullable=False),
        Column("context", Text, nullable=False, default=""),
        Column("step", BigInteger, nullable=False),
        Column("time_ms", BigInteger, nullable=False),
    ]


# Logged media (see tracklog.store.media): one row per value; the file is ``path`` under the
# run's artifact root, named by its content, so the same bytes are stored once.
run_media = Table(
    "run_media",
    metadata,
    *_logged_at(),
    Column("kind", String(16), nullable=False),
    Column("path", String(1024), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("meta", Text, nullable=False, default="{}"),
    Index("ix_run_media_run_key_step", "run_id", "key", "context", "step"),
)

# Logged histograms: edges and counts as little-endian float64 bytes, one row per step.
run_histograms = Table(
    "run_histograms",
    metadata,
    *_logged_at(),
    Column("edges", LargeBinary, nullable=False),
    Column("counts", LargeBinary, nullable=False),
    Index("ix_run_histograms_run_key_step", "run_id", "key", "context", "step"),
)


# W&B-style sweeps: the config as given, the search method's seed, and how many trials it
# hands out at most (run_cap and a grid's size; NULL: no end).
sweeps = Table(
    "sweeps",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(256)),
    Column("method", String(16), nullable=False),
    Column("config", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("trial_limit", Integer),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# A sweep's trials, numbered from 0: the primary key makes a number's claim unique.
sweep_trials = Table(
    "sweep_trials",
    metadata,
    Column("sweep_id", String(32), ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("params", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("run_id", RUN_ID),  # the run of the latest attempt (created by the trial itself)
    Column("attempts", Integer, nullable=False),
    Column("host", String(256)),
    Column("pid", Integer),
    Column("pid_started", BigInteger),
    Column("heartbeat_at", BigInteger),
    Column("stop_reason", Text),  # set while running: the agent stops the trial
    Column("metric", Float),
    Column("error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger),
)


# Alerts a run raised (W&B's ``run.alert``), keyed by the id the client chose, so a replayed
# journal record adds none twice.
run_alerts = Table(
    "run_alerts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # the order they came in
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("id", String(64), nullable=False),
    Column("title", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("level", String(8), nullable=False),
    Column("time_ms", BigInteger, nullable=False),
    UniqueConstraint("run_id", "id"),
)


# Versioned artifacts (W&B's Artifacts): one row per (project, name); its versions v0, v1, …
# each with a manifest (path → content digest, or a reference URI). Files live once per
# digest under the artifact root (see :mod:`tracklog.store.artifact_blobs`).
artifacts = Table(
    "artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("description", Text),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("experiment_id", "name"),
)

# The digest is of the manifest only, so logging the same content again finds its version.
artifact_versions = Table(
    "artifact_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("artifact_id", Integer, ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("metadata", Text, nullable=False),
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("artifact_id", "version"),
    UniqueConstraint("artifact_id", "digest", name="uq_artifact_versions_digest"),
)

artifact_entries = Table(
    "artifact_entries",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("path", String(1024), primary_key=True),
    Column("sha256", String(64)),  # None: a reference whose digest could not be had cheaply
    Column("size", BigInteger),
    Column("ref", Text),  # the URI of a reference entry; None for a stored file
)

# An alias names one version of its artifact; ``latest`` is moved to the newest by the store.
artifact_aliases = Table(
    "artifact_aliases",
    metadata,
    Column(
        "artifact_id", Integer, ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("alias", String(128), primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
)

artifact_usage = Table(
    "artifact_usage",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("used_at", BigInteger, nullable=False),
    Index("ix_artifact_usage_run_id", "run_id"),
)
