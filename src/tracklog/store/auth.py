"""Users, API tokens and per-project permissions, kept in the store's database.

Secrets never reach the database: a password is stored as its argon2 hash, a token as the
SHA-256 of its secret (the secret is 256 random bits, so a fast hash is enough; a slow KDF
would only add latency to every request). Permissions are READ < EDIT < MANAGE per project;
admins need none.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from tracklog.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
)
from tracklog.store import schema, validation
from tracklog.store.clock import now_ms
from tracklog.store.engine import reading, upsert, writing
from tracklog.store.tracking import Store

TOKEN_PREFIX = "tlk_"
_U, _T, _P, _E, _R = (
    schema.users,
    schema.tokens,
    schema.project_permissions,
    schema.experiments,
    schema.runs,
)
_RANK = {p: i for i, p in enumerate(validation.PERMISSIONS)}
# last_used_at is refreshed at most this often, so a busy token costs no write per request.
_TOUCH_EVERY_MS = 60_000
_CACHE_SIZE = 1024
_DURATION = re.compile(r"^([0-9]+)([mhdw])$")
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    """A user as the store knows it (never with its password hash)."""

    id: int
    name: str
    is_admin: bool
    created_at: int


@dataclass(frozen=True)
class TokenInfo:
    """An API token's metadata; the secret itself is shown once, at creation."""

    id: int
    user: str
    name: str | None
    created_at: int
    last_used_at: int | None
    revoked_at: int | None
    expires_at: int | None = None  # None: never expires


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: its metadata and the secret, which is not stored."""

    info: TokenInfo
    secret: str


@dataclass(frozen=True)
class Grant:
    """One user's permission on one project."""

    user: str
    project: str
    permission: str


@dataclass(frozen=True)
class ProjectAccess:
    """A project and the permission a user holds on it (None: no grant)."""

    id: int
    name: str
    permission: str | None


class AuthStore:
    """Users, tokens and permissions of one :class:`Store`. Thread-safe; keep one per process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        # Successful password checks, keyed by an HMAC (with a per-process key) of the
        # credentials and valid only while the stored hash is unchanged: HTTP basic sends the
        # password with every request, and argon2 is slow on purpose.
        self._cache_key = secrets.token_bytes(32)
        self._verified: dict[bytes, str] = {}
        self._dummy_hash: str | None = None

    # -- users ----------------------------------------------------------------------------

    def create_user(self, name: str, password: str | None, *, admin: bool = False) -> User:
        """Create a user; with ``password=None`` the user can sign in with tokens only."""
        name = validation.user_name(name)
        digest = _hasher.hash(validation.password(password)) if password is not None else None
        t = now_ms()
        try:
            with writing(self.engine) as conn:
                uid = conn.execute(
                    insert(_U)
                    .values(name=name, password_hash=digest, is_admin=admin, created_at=t)
                    .returning(_U.c.id)
                ).scalar_one()
        except AlreadyExistsError:
            raise AlreadyExistsError(f"a user named {name!r} exists already") from None
        return User(uid, name, admin, t)

    def users(self) -> list[User]:
        """Every user, by name."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(_U).order_by(_U.c.name)).all()
        return [_user(r) for r in rows]

    def get_user(self, name: str) -> User:
        """The user called ``name``; raises :class:`NotFoundError` naming it."""
        with reading(self.engine) as conn:
            return _user(self._user_row(conn, name))

    def delete_user(self, name: str) -> None:
        """Delete a user with their tokens and permissions."""
        with writing(self.engine) as conn:
            uid = self._user_row(conn, name).id
            conn.execute(delete(_T).where(_T.c.user_id == uid))
            conn.execute(delete(_P).where(_P.c.user_id == uid))
            conn.execute(delete(_U).where(_U.c.id == uid))

    def set_password(self, name: str, password: str | None) -> None:
        """Replace a user's password (None: tokens only)."""
        digest = _hasher.hash(validation.password(password)) if password is not None else None
        with writing(self.engine) as conn:
            uid = self._user_row(conn, name).id
            conn.execute(update(_U).where(_U.c.id == uid).values(password_hash=digest))

    def verify_password(self, name: str, password: str) -> User:
        """The user whose name and password these are; raises :class:`AuthenticationError`."""
        row, cache_key, cached = self._cached(name, password)
        if cached:
            return _user(row)
        stored = row.password_hash if row is not None else None
        if stored is None:
            # The same work as a real check, so a wrong name cannot be told by the time taken.
            _verify(self._dummy(), password)
            raise AuthenticationError("wrong user name or password")
        if not _verify(stored, password):
            raise AuthenticationError("wrong user name or password")
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[cache_key] = stored
        return _user(row)

    def cached_password(self, name: str, password: str) -> User | None:
        """The user if these credentials passed :meth:`verify_password` before and the
        password is unchanged since; None otherwise. One lookup, no argon2."""
        row, _, cached = self._cached(name, password)
        return _user(row) if cached else None

    def _cached(self, name: str, password: str) -> tuple[Any, bytes, bool]:
        """The user's row, the cache key of the credentials, and whether they are cached."""
        with reading(self.engine) as conn:
            row = conn.execute(select(_U).where(_U.c.name == name)).first()
        cache_key = hmac.digest(self._cache_key, f"{name}\0{password}".encode(), "sha256")
        stored = row.password_hash if row is not None else None
        return row, cache_key, stored is not None and self._verified.get(cache_key) == stored

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = _hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    # -- tokens ---------------------------------------------------------------------------

    def create_token(
        self, user: str, name: str | None = None, *, expires_at: int | None = None
    ) -> NewToken:
        """A new token for ``user``, valid until ``expires_at`` (epoch ms; None: no expiry,
        see :func:`parse_expiry`); the returned secret is the only copy there will be."""
        if name is not None:
            name = validation.name(name, "token name")
        t = now_ms()
        if expires_at is not None and expires_at <= t:
            raise InvalidValueError(f"token expiry {_utc(expires_at)} is not in the future")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {"name": name, "secret_hash": _token_hash(secret), "created_at": t}
        with writing(self.engine) as conn:
            uid = self._user_row(conn, user).id
            tid = conn.execute(
                insert(_T).values(user_id=uid, expires_at=expires_at, **row).returning(_T.c.id)
            ).scalar_one()
        return NewToken(TokenInfo(tid, user, name, t, None, None, expires_at), secret)

    def tokens(self, user: str | None = None) -> list[TokenInfo]:
        """Every token (of ``user`` if given), oldest first, revoked ones included."""
        stmt = select(_T, _U.c.name.label("user_name")).join(_U, _U.c.id == _T.c.user_id)
        with reading(self.engine) as conn:
            if user is not None:
                stmt = stmt.where(_T.c.user_id == self._user_row(conn, user).id)
            rows = conn.execute(stmt.order_by(_T.c.id)).all()
        return [
            TokenInfo(
                r.id, r.user_name, r.name, r.created_at, r.last_used_at, r.revoked_at, r.expires_at
            )
            for r in rows
        ]

    def revoke_token(self, token_id: int) -> None:
        """Revoke a token for good (revoking it again changes nothing)."""
        with writing(self.engine) as conn:
            if conn.execute(select(_T.c.id).where(_T.c.id == token_id)).first() is None:
                raise NotFoundError(f"no token with id {token_id!r}")
            conn.execute(
                update(_T)
                .where((_T.c.id == token_id) & _T.c.revoked_at.is_(None))
                .values(revoked_at=now_ms())
            )

    def verify_token(self, secret: str) -> User:
        """The owner of a valid, unrevoked, unexpired token; raises
        :class:`AuthenticationError`."""
        user = self.token_user(secret)
        if user is None:
            raise AuthenticationError("invalid or revoked token")
        return user

    def token_user(self, secret: str) -> User | None:
        """The owner of token ``secret``; None if no unrevoked token has this secret, and
        :class:`AuthenticationError` naming the date if it has expired. One SHA-256 and one
        lookup: no password hashing."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        stmt = (
            select(_U, _T.c.id.label("token_id"), _T.c.last_used_at, _T.c.expires_at)
            .join(_T, _T.c.user_id == _U.c.id)
            .where((_T.c.secret_hash == _token_hash(secret)) & _T.c.revoked_at.is_(None))
        )
        with reading(self.engine) as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        t = now_ms()
        if row.expires_at is not None and t >= row.expires_at:
            raise AuthenticationError(f"token expired on {_utc(row.expires_at)}")
        if row.last_used_at is None or t - row.last_used_at > _TOUCH_EVERY_MS:
            with writing(self.engine) as conn:
                conn.execute(update(_T).where(_T.c.id == row.token_id).values(last_used_at=t))
        return _user(row)

    # -- permissions ----------------------------------------------------------------------

    def grant(self, user: str, project: str, permission: str) -> None:
        """Give ``user`` ``permission`` on an existing ``project`` (replacing an earlier one)."""
        permission = validation.permission(permission)
        with writing(self.engine) as conn:
            uid = self._user_row(conn, user).id
            pid = self._project_row(conn, project).id
            row = {"experiment_id": pid, "user_id": uid, "permission": permission}
            upsert(conn, _P, [row], ("experiment_id", "user_id"), ("permission",))

    def revoke(self, user: str, project: str) -> None:
        """Take away every permission ``user`` holds on ``project``."""
        with writing(self.engine) as conn:
            uid = self._user_row(conn, user).id
            pid = self._project_row(conn, project).id
            done = conn.execute(
                delete(_P).where((_P.c.user_id == uid) & (_P.c.experiment_id == pid))
            )
        if done.rowcount == 0:
            raise NotFoundError(f"user {user!r} has no permission on project {project!r}")

    def grants(self, user: str | None = None, project: str | None = None) -> list[Grant]:
        """Every grant, optionally only those of ``user`` or on ``project``."""
        stmt = (
            select(_U.c.name.label("user"), _E.c.name.label("project"), _P.c.permission)
            .join(_U, _U.c.id == _P.c.user_id)
            .join(_E, _E.c.id == _P.c.experiment_id)
            .order_by(_U.c.name, _E.c.name)
        )
        with reading(self.engine) as conn:
            if user is not None:
                stmt = stmt.where(_P.c.user_id == self._user_row(conn, user).id)
            if project is not None:
                stmt = stmt.where(_P.c.experiment_id == self._project_row(conn, project).id)
            return [Grant(r.user, r.project, r.permission) for r in conn.execute(stmt)]

    def run_access(self, user: User, run_id: str) -> ProjectAccess:
        """The project of run ``run_id`` and ``user``'s permission on it (one query)."""
        stmt = (
            select(_E.c.id, _E.c.name, _P.c.permission)
            .select_from(_R)
            .join(_E, _E.c.id == _R.c.experiment_id)
            .outerjoin(_P, (_P.c.experiment_id == _E.c.id) & (_P.c.user_id == user.id))
            .where(_R.c.id == run_id)
        )
        with reading(self.engine) as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return ProjectAccess(row.id, row.name, row.permission)

    def project_access(self, user: User, project: str) -> ProjectAccess | None:
        """Project ``project`` and ``user``'s permission on it; None if there is no such
        project."""
        return self._access(user, _E.c.name == project)

    def experiment_access(self, user: User, experiment_id: int) -> ProjectAccess | None:
        """:meth:`project_access` by the project's id (an MLflow experiment id)."""
        return self._access(user, _E.c.id == experiment_id)

    def _access(self, user: User, which: Any) -> ProjectAccess | None:
        stmt = (
            select(_E.c.id, _E.c.name, _P.c.permission)
            .outerjoin(_P, (_P.c.experiment_id == _E.c.id) & (_P.c.user_id == user.id))
            .where(which)
        )
        with reading(self.engine) as conn:
            row = conn.execute(stmt).first()
        return None if row is None else ProjectAccess(row.id, row.name, row.permission)

    def readable_projects(self, user: User) -> list[str] | None:
        """Names of the projects ``user`` may read; None for an admin (every project)."""
        return self._readable(user, _E.c.name)

    def readable_ids(self, user: User) -> list[int] | None:
        """Ids of the projects ``user`` may read; None for an admin (every project)."""
        return self._readable(user, _E.c.id)

    def _readable(self, user: User, column: Any) -> list[Any] | None:
        if user.is_admin:
            return None
        stmt = select(column).join(_P, _P.c.experiment_id == _E.c.id).where(_P.c.user_id == user.id)
        with reading(self.engine) as conn:
            return list(conn.execute(stmt).scalars())

    def require_run(self, user: User, run_id: str, need: str) -> None:
        """Raise unless ``user`` holds ``need`` on the project of run ``run_id``."""
        if not user.is_admin:
            require(user, self.run_access(user, run_id), need)

    def claim_project(self, user: User, project: str) -> bool:
        """Before ``user`` creates a run in ``project``: create the project if it is missing
        and grant ``user`` MANAGE on it (returns True), else require EDIT (returns False)."""
        project = validation.name(project, "project name")
        access = self.project_access(user, project)
        if access is None:
            with writing(self.engine) as conn:
                pid, created = self.store.ensure_project(conn, project)
                if created:
                    grant = {"experiment_id": pid, "user_id": user.id, "permission": "MANAGE"}
                    conn.execute(insert(_P).values(**grant))
                    return True
            access = self.project_access(user, project)  # another request created it first
        if access is None:  # created and deleted meanwhile: nothing to guard any more
            raise NotFoundError(f"no project named {project!r}")
        require(user, access, "EDIT")
        return False

    def grant_creator(self, user: User, project_id: int) -> None:
        """Give ``user`` MANAGE on the project they just created (as :meth:`claim_project`
        does for a project made by its first run)."""
        row = {"experiment_id": project_id, "user_id": user.id, "permission": "MANAGE"}
        with writing(self.engine) as conn:
            upsert(conn, _P, [row], ("experiment_id", "user_id"), ("permission",))

    # -- helpers --------------------------------------------------------------------------

    def _user_row(self, conn: Connection, name: str) -> Any:
        row = conn.execute(select(_U).where(_U.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no user named {name!r}")
        return row

    def _project_row(self, conn: Connection, name: str) -> Any:
        row = conn.execute(select(_E.c.id).where(_E.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no project named {name!r}")
        return row


def allows(held: str | None, need: str) -> bool:
    """Whether permission ``held`` (None: nothing) includes ``need``."""
    return held is not None and _RANK[held] >= _RANK[need]


def require(user: User, access: ProjectAccess, need: str) -> None:
    """Raise :class:`PermissionDeniedError` naming the project and ``need`` unless ``user``
    is an admin or holds ``need`` on it."""
    if user.is_admin or allows(access.permission, need):
        return
    held = f" (has {access.permission})" if access.permission else ""
    raise PermissionDeniedError(
        f"user {user.name!r} needs {need} permission on project {access.name!r}{held}"
    )


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def parse_expiry(text: str, now: int) -> int:
    """When a token made at ``now`` (epoch ms) expires, from a duration (``90d``, ``12h``,
    ``30m``, ``2w``) or an ISO date or time (``2027-03-01``: its midnight; UTC unless the
    text names a zone); raises :class:`InvalidValueError` unless it is in the future."""
    text = text.strip()
    if match := _DURATION.match(text):
        at = now + int(match.group(1)) * _UNIT_MS[match.group(2)]
    else:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValueError(
                f"token expiry must be a duration such as 90d, 12h, 30m or 2w, or an ISO date "
                f"such as 2027-03-01, got {text!r}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        at = int(when.timestamp() * 1000)
    if at <= now:
        raise InvalidValueError(f"token expiry {text!r} is not in the future")
    return at


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _user(row: Any) -> User:
    return User(row.id, row.name, bool(row.is_admin), row.created_at)
