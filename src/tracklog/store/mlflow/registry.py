"""The model registry: registered models, their versions, stages, aliases and tags.

Follows MLflow's registry semantics: a version is READY as soon as it is created, its number
is one more than the highest the model ever had (numbers of deleted versions are not reused),
stages are the legacy None/Staging/Production/Archived, and an alias names one version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tracklog.store import schema, validation
from tracklog.store.clock import now_ms
from tracklog.store.engine import reading, upsert, writing
from tracklog.store.mlflow.entity_filter import Attribute, Grammar, Side
from tracklog.store.mlflow.logged_models import LoggedModels
from tracklog.store.query_limits import searching
from tracklog.store.tracking import Store

_M, _MT, _A = (
    schema.registered_models,
    schema.registered_model_tags,
    schema.registered_model_aliases,
)
_V, _VT = schema.model_versions, schema.model_version_tags

STAGES = ("None", "Staging", "Production", "Archived")
_STAGE_BY_LOWER = {s.lower(): s for s in STAGES}
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_VERSION_LIKE = re.compile(r"^[vV]\d+$")
_DIGITS = re.compile(r"[0-9]{1,10}")
MAX_VERSION = 2**31 - 1

MODEL_GRAMMAR = Grammar(
    "registered model",
    _M.c.id,
    {
        "name": Attribute(_M.c.name),
        "creation_timestamp": Attribute(_M.c.created_at, numeric=True),
        "last_updated_timestamp": Attribute(_M.c.updated_at, numeric=True),
        "timestamp": Attribute(_M.c.updated_at, numeric=True, same_as="last_updated_timestamp"),
    },
    {"tag": Side(_MT, "model_id")},
)
VERSION_GRAMMAR = Grammar(
    "model version",
    _V.c.id,
    {
        "name": Attribute(_M.c.name),
        "version_number": Attribute(_V.c.version, numeric=True),
        "run_id": Attribute(_V.c.run_id),
        "source_path": Attribute(_V.c.source),
        "model_id": Attribute(_V.c.logged_model_id),
        "creation_timestamp": Attribute(_V.c.created_at, numeric=True),
        "last_updated_timestamp": Attribute(_V.c.updated_at, numeric=True),
        "timestamp": Attribute(_V.c.updated_at, numeric=True, same_as="last_updated_timestamp"),
    },
    {"tag": Side(_VT, "version_id")},
)


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model."""

    name: str
    version: int
    created_at: int
    updated_at: int
    user: str
    stage: str
    description: str
    source: str
    run_id: str | None
    run_link: str
    status: str
    status_message: str
    logged_model_id: str | None
    storage_location: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)

    @property
    def download_uri(self) -> str:
        """Where the version's files are: the logged model's artifacts, else its source."""
        return self.storage_location or self.source


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model with its tags, aliases and latest version per stage."""

    name: str
    created_at: int
    updated_at: int
    user: str
    description: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_versions: list[ModelVersion] = field(default_factory=list)


def stage(value: Any) -> str:
    """A stage name in any case, returned as MLflow spells it (``production`` -> Production)."""
    found = _STAGE_BY_LOWER.get(value.lower()) if isinstance(value, str) else None
    if found is None:
        raise InvalidValueError(f"invalid model version stage {value!r}: use one of {STAGES}")
    return found


def version_number(value: Any) -> int:
    """A version number: a positive 32-bit integer, or its decimal text."""
    text = str(value).strip() if isinstance(value, int | str) else ""
    if isinstance(value, bool) or not _DIGITS.fullmatch(text) or not 1 <= int(text) <= MAX_VERSION:
        raise InvalidValueError(
            f"model version must be an integer from 1 to {MAX_VERSION}, got {value!r}"
        )
    return int(text)


def alias_name(value: Any) -> str:
    """An alias: letters, digits, '_' or '-', not ``latest`` and not a version like ``v3``."""
    if not isinstance(value, str) or not _ALIAS.match(value):
        raise InvalidValueError(f"alias must be 1-255 letters, digits, '_' or '-', got {value!r}")
    if value.lower() == "latest" or _VERSION_LIKE.match(value):
        raise InvalidValueError(
            f"alias {value!r} is reserved: 'latest' and v<number> name versions themselves"
        )
    return value


class Registry:
    """The model registry of one store. Thread-safe; cheap to create."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.logged_models = LoggedModels(store)

    # -- registered models ---------------------------------------------------------------

    def create_model(
        self,
        name: str,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        user: str = "",
    ) -> RegisteredModel:
        """Register a new model; raises :class:`AlreadyExistsError` if the name is taken."""
        name = validation.name(name, "registered model name")
        description = validation.free_text(description or "", "description")
        clean_tags = _tags(tags)
        t = now_ms()
        row = {"name": name, "description": description, "user": user or "", "created_at": t}
        try:
            with writing(self.engine) as conn:
                model_id = conn.execute(
                    insert(_M).values(**row, updated_at=t, last_version=0).returning(_M.c.id)
                ).scalar_one()
                rows = [{"model_id": model_id, "key": k, "value": v} for k, v in clean_tags]
                if rows:
                    conn.execute(insert(_MT), rows)
        except AlreadyExistsError:
            raise AlreadyExistsError(f"registered model {name!r} already exists") from None
        return self.get_model(name)

    def get_model(self, name: str) -> RegisteredModel:
        """The registered model ``name``; raises :class:`NotFoundError`."""
        with reading(self.engine) as conn:
            row = _model_row(conn, name)
            return _models(conn, [row])[0]

    def rename_model(self, name: str, new_name: str) -> RegisteredModel:
        """Give model ``name`` the name ``new_name``; its versions, tags and aliases follow."""
        new_name = validation.name(new_name, "new registered model name")
        try:
            with writing(self.engine) as conn:
                row = _model_row(conn, name)
                conn.execute(
                    update(_M).where(_M.c.id == row.id).values(name=new_name, updated_at=now_ms())
                )
        except AlreadyExistsError:
            raise AlreadyExistsError(f"registered model {new_name!r} already exists") from None
        return self.get_model(new_name)

    def update_model(self, name: str, description: str) -> RegisteredModel:
        """Set the description of model ``name``."""
        description = validation.free_text(description or "", "description")
        with writing(self.engine) as conn:
            row = _model_row(conn, name)
            conn.execute(
                update(_M)
                .where(_M.c.id == row.id)
                .values(description=description, updated_at=now_ms())
            )
        return self.get_model(name)

    def delete_model(self, name: str) -> None:
        """Delete model ``name`` with all its versions, tags and aliases."""
        with writing(self.engine) as conn:
            row = _model_row(conn, name)
            # Children first: SQLite enforces ON DELETE CASCADE, but one order works everywhere.
            versions = select(_V.c.id).where(_V.c.model_id == row.id)
            conn.execute(delete(_A).where(_A.c.model_id == row.id))
            conn.execute(delete(_VT).where(_VT.c.version_id.in_(versions)))
            conn.execute(delete(_V).where(_V.c.model_id == row.id))
            conn.execute(delete(_MT).where(_MT.c.model_id == row.id))
            conn.execute(delete(_M).where(_M.c.id == row.id))

    def search_models(
        self,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[RegisteredModel]:
        """Registered models matching ``filter`` (MLflow's grammar): ``limit`` of them from
        ``offset`` on, by name unless ``order_by`` says otherwise."""
        order = MODEL_GRAMMAR.order(order_by, [_M.c.name.asc()], [_M.c.id.asc()])
        stmt = select(_M).where(*MODEL_GRAMMAR.where(filter)).order_by(*order)
        with searching(self.engine) as conn:
            return _models(conn, list(conn.execute(stmt.limit(limit).offset(offset))))

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        """Set tag ``key`` of model ``name`` (replacing its value)."""
        ((key, value),) = _tags({key: value})
        with writing(self.engine) as conn:
            row = _model_row(conn, name)
            upsert(
                conn,
                _MT,
                [{"model_id": row.id, "key": key, "value": value}],
                ("model_id", "key"),
                ("value",),
            )

    def delete_model_tag(self, name: str, key: str) -> None:
        """Delete tag ``key`` of model ``name``; raises :class:`NotFoundError` if unset."""
        with writing(self.engine) as conn:
            row = _model_row(conn, name)
            gone = conn.execute(delete(_MT).where(_MT.c.model_id == row.id, _MT.c.key == key))
        if gone.rowcount == 0:
            raise NotFoundError(f"registered model {name!r} has no tag {key!r}")

    # -- aliases -----------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: Any) -> None:
        """Point ``alias`` of model ``name`` at ``version`` (moving it if it pointed elsewhere)."""
        alias = alias_name(alias)
        with writing(self.engine) as conn:
            row = _model_row(conn, name)
            vid = _version_row(conn, name, version_number(version)).id
            upsert(
                conn,
                _A,
                [{"model_id": row.id, "alias": alias, "version_id": vid}],
                ("model_id", "alias"),
                ("version_id",),
            )
            conn.execute(update(_M).where(_M.c.id == row.id).values(updated_at=now_ms()))

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from model ``name``; raises :class:`NotFoundError` if unset."""
        with writing(self.engine) as conn:
            row = _model_row(conn, name)
            gone = conn.execute(delete(_A).where(_A.c.model_id == row.id, _A.c.alias == alias))
        if gone.rowcount == 0:
            raise NotFoundError(f"registered model {name!r} has no alias {alias!r}")

    def version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` of model ``name`` points at."""
        with reading(self.engine) as conn:
            row = _model_row(conn, name)
            version = conn.execute(
                select(_V.c.version)
                .join(_A, _A.c.version_id == _V.c.id)
                .where(_A.c.model_id == row.id, _A.c.alias == alias)
            ).scalar()
        if version is None:
            raise NotFoundError(f"registered model {name!r} has no alias {alias!r}")
        return self.get_version(name, version)

    # -- versions ----------------------------------------------------------------------------

    def create_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        run_link: str = "",
        description: str = "",
        tags: Mapping[str, str] | None = None,
        logged_model_id: str | None = None,
        user: str = "",
    ) -> ModelVersion:
        """Add the next version of model ``name``, READY at once.

        A ``models:/<model_id>`` source (or ``logged_model_id``) must name a logged model: the
        version's files are then that model's artifacts, and its source run the version's run.
        """
        source = validation.free_text(source, "source")
        if not source.strip():
            raise InvalidValueError("model version source must not be empty")
        if run_id:
            run_id = validation.run_id(run_id)
        clean_tags = _tags(tags)
        description = validation.free_text(description or "", "description")
        run_link = validation.free_text(run_link or "", "run_link")
        storage_location = None
        logged_model_id = logged_model_id or source_logged_model(source)
        if logged_model_id:
            logged = self.logged_models.get(logged_model_id)
            storage_location = logged.artifact_location
            run_id = run_id or logged.source_run_id
        t = now_ms()
        with writing(self.engine) as conn:
            row = _model_row(conn, name)
            # One statement: of two concurrent creators on PostgreSQL, the second waits for the
            # row lock and then counts on from the first's number.
            number = conn.execute(
                update(_M)
                .where(_M.c.id == row.id)
                .values(last_version=_M.c.last_version + 1, updated_at=t)
                .returning(_M.c.last_version)
            ).scalar_one()
            vid = conn.execute(
                insert(_V)
                .values(
                    model_id=row.id,
                    version=number,
                    stage="None",
                    status="READY",
                    status_message="",
                    source=source,
                    storage_location=storage_location,
                    run_id=run_id or None,
                    run_link=run_link,
                    logged_model_id=logged_model_id,
                    description=description,
                    user=user or "",
                    created_at=t,
                    updated_at=t,
                )
                .returning(_V.c.id)
            ).scalar_one()
            rows = [{"version_id": vid, "key": k, "value": v} for k, v in clean_tags]
            if rows:
                conn.execute(insert(_VT), rows)
        return self.get_version(name, number)

    def get_version(self, name: str, version: Any) -> ModelVersion:
        """Version ``version`` of model ``name``; raises :class:`NotFoundError`."""
        with reading(self.engine) as conn:
            row = _version_row(conn, name, version_number(version))
            return _versions(conn, [row])[0]

    def update_version(self, name: str, version: Any, description: str) -> ModelVersion:
        """Set the description of one version."""
        description = validation.free_text(description or "", "description")
        number = version_number(version)
        with writing(self.engine) as conn:
            row = _version_row(conn, name, number)
            conn.execute(
                update(_V)
                .where(_V.c.id == row.id)
                .values(description=description, updated_at=now_ms())
            )
        return self.get_version(name, number)

    def delete_version(self, name: str, version: Any) -> None:
        """Delete one version with its tags and aliases; its number is not given out again."""
        with writing(self.engine) as conn:
            row = _version_row(conn, name, version_number(version))
            conn.execute(delete(_A).where(_A.c.version_id == row.id))
            conn.execute(delete(_VT).where(_VT.c.version_id == row.id))
            conn.execute(delete(_V).where(_V.c.id == row.id))
            conn.execute(update(_M).where(_M.c.id == row.model_id).values(updated_at=now_ms()))

    def transition_stage(
        self, name: str, version: Any, new_stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to ``new_stage``; with ``archive_existing_versions`` the other
        versions in that stage (Staging or Production only) move to Archived."""
        new_stage = stage(new_stage)
        if archive_existing_versions and new_stage not in ("Staging", "Production"):
            raise InvalidValueError(
                "archive_existing_versions is only allowed when moving to Staging or Production, "
                f"not {new_stage}"
            )
        number = version_number(version)
        t = now_ms()
        with writing(self.engine) as conn:
            row = _version_row(conn, name, number)
            if archive_existing_versions:
                conn.execute(
                    update(_V)
                    .where(
                        _V.c.model_id == row.model_id, _V.c.stage == new_stage, _V.c.id != row.id
                    )
                    .values(stage="Archived", updated_at=t)
                )
            conn.execute(update(_V).where(_V.c.id == row.id).values(stage=new_stage, updated_at=t))
            conn.execute(update(_M).where(_M.c.id == row.model_id).values(updated_at=t))
        return self.get_version(name, number)

    def latest_versions(self, name: str, stages: Sequence[str] = ()) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (every stage when empty), ordered by stage."""
        wanted = [stage(s) for s in stages] or list(STAGES)
        with reading(self.engine) as conn:
            row = _model_row(conn, name)
            return _latest(conn, [row.id], wanted).get(row.id, [])

    def search_versions(
        self,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 10_000,
    ) -> list[ModelVersion]:
        """Model versions matching ``filter`` (MLflow's grammar): ``limit`` of them from
        ``offset`` on, by name and newest version first unless ``order_by`` says otherwise."""
        order = VERSION_GRAMMAR.order(
            order_by, [_M.c.name.asc(), _V.c.version.desc()], [_V.c.id.asc()]
        )
        stmt = (
            select(_V, _M.c.name)
            .join(_M, _M.c.id == _V.c.model_id)
            .where(*VERSION_GRAMMAR.where(filter))
            .order_by(*order)
        )
        with searching(self.engine) as conn:
            return _versions(conn, list(conn.execute(stmt.limit(limit).offset(offset))))

    def set_version_tag(self, name: str, version: Any, key: str, value: str) -> None:
        """Set tag ``key`` of one version."""
        ((key, value),) = _tags({key: value})
        with writing(self.engine) as conn:
            row = _version_row(conn, name, version_number(version))
            upsert(
                conn,
                _VT,
                [{"version_id": row.id, "key": key, "value": value}],
                ("version_id", "key"),
                ("value",),
            )

    def delete_version_tag(self, name: str, version: Any, key: str) -> None:
        """Delete tag ``key`` of one version; raises :class:`NotFoundError` if unset."""
        number = version_number(version)
        with writing(self.engine) as conn:
            row = _version_row(conn, name, number)
            gone = conn.execute(delete(_VT).where(_VT.c.version_id == row.id, _VT.c.key == key))
        if gone.rowcount == 0:
            raise NotFoundError(f"version {number} of registered model {name!r} has no tag {key!r}")


def source_logged_model(source: str) -> str | None:
    """The logged model a ``models:/<model_id>`` source names (None for other sources)."""
    if not source.startswith("models:/"):
        return None
    rest = source.removeprefix("models:/").strip("/")
    # models:/name/1 and models:/name@alias name registry versions, not logged models.
    return rest if rest.startswith("m-") and "/" not in rest and "@" not in rest else None


def source_run(source: str) -> str | None:
    """The run a ``runs:/<run id>/<path>`` source names (None for other sources)."""
    if not source.startswith("runs:/"):
        return None
    return source.removeprefix("runs:/").strip("/").split("/", 1)[0] or None


def _tags(tags: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if tags is None:
        return []
    if not isinstance(tags, Mapping):
        raise InvalidValueError(f"tags must be a mapping of key to value, got {tags!r}")
    return [(validation.key(k, "tag key"), validation.tag_value(v, k)) for k, v in tags.items()]


def _model_row(conn: Connection, name: Any) -> Any:
    if not isinstance(name, str) or not name:
        raise InvalidValueError(f"registered model name must be a non-empty string, got {name!r}")
    row = conn.execute(select(_M).where(_M.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"registered model {name!r} does not exist")
    return row


def _version_row(conn: Connection, name: str, number: int) -> Any:
    model = _model_row(conn, name)
    row = conn.execute(
        select(_V, _M.c.name)
        .join(_M, _M.c.id == _V.c.model_id)
        .where(_V.c.model_id == model.id, _V.c.version == number)
    ).first()
    if row is None:
        raise NotFoundError(f"registered model {name!r} has no version {number}")
    return row


def _versions(conn: Connection, rows: Sequence[Any]) -> list[ModelVersion]:
    """Rows of ``model_versions`` joined with the model's name, with tags and aliases."""
    ids = [r.id for r in rows]
    tags: dict[int, dict[str, str]] = {i: {} for i in ids}
    aliases: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for t in conn.execute(select(_VT).where(_VT.c.version_id.in_(ids))):
            tags[t.version_id][t.key] = t.value
        for a in conn.execute(select(_A).where(_A.c.version_id.in_(ids)).order_by(_A.c.alias)):
            aliases[a.version_id].append(a.alias)
    return [
        ModelVersion(
            name=r.name,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            user=r.user,
            stage=r.stage,
            description=r.description,
            source=r.source,
            run_id=r.run_id,
            run_link=r.run_link,
            status=r.status,
            status_message=r.status_message,
            logged_model_id=r.logged_model_id,
            storage_location=r.storage_location,
            tags=tags[r.id],
            aliases=aliases[r.id],
        )
        for r in rows
    ]


def _latest(
    conn: Connection, model_ids: Sequence[int], stages: Sequence[str]
) -> dict[int, list[ModelVersion]]:
    """Per model: its newest version in each of ``stages``, in the order of ``stages``."""
    newest = (
        select(_V.c.model_id, _V.c.stage, func.max(_V.c.version).label("version"))
        .where(_V.c.model_id.in_(list(model_ids)), _V.c.stage.in_(list(stages)))
        .group_by(_V.c.model_id, _V.c.stage)
        .subquery()
    )
    stmt = (
        select(_V, _M.c.name)
        .join(_M, _M.c.id == _V.c.model_id)
        .join(
            newest,
            (newest.c.model_id == _V.c.model_id) & (newest.c.version == _V.c.version),
        )
    )
    out: dict[int, list[ModelVersion]] = {}
    rows = sorted(conn.execute(stmt), key=lambda r: stages.index(r.stage))
    for row, version in zip(rows, _versions(conn, rows), strict=True):
        out.setdefault(row.model_id, []).append(version)
    return out


def _models(conn: Connection, rows: Sequence[Any]) -> list[RegisteredModel]:
    ids = [r.id for r in rows]
    tags: dict[int, dict[str, str]] = {i: {} for i in ids}
    aliases: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        for t in conn.execute(select(_MT).where(_MT.c.model_id.in_(ids))):
            tags[t.model_id][t.key] = t.value
        stmt = (
            select(_A.c.model_id, _A.c.alias, _V.c.version)
            .join(_V, _V.c.id == _A.c.version_id)
            .where(_A.c.model_id.in_(ids))
            .order_by(_A.c.alias)
        )
        for a in conn.execute(stmt):
            aliases[a.model_id][a.alias] = a.version
    latest = _latest(conn, ids, STAGES) if ids else {}
    return [
        RegisteredModel(
            name=r.name,
            created_at=r.created_at,
            updated_at=r.updated_at,
            user=r.user,
            description=r.description,
            tags=tags[r.id],
            aliases=aliases[r.id],
            latest_versions=latest.get(r.id, []),
        )
        for r in rows
    ]
