"""Authentication and permission checks for ``tracklog server --auth``.

:func:`current_user` is a router-level dependency: it accepts ``Authorization: Bearer TOKEN``
and HTTP basic (``user:password``, or any user name with a token as the password, which is what
the mlflow client sends from ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``). Routes then ask the
request's :class:`Guard` for the permission they need. Without ``--auth`` both are no-ops.
Secrets are never logged and never part of a message. Failed password logins are limited
(``login_limits``), and credentials are checked before any body is read (``auth_gate``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from tracklog.errors import AuthenticationError, NotFoundError
from tracklog.server.login_limits import PasswordChecks
from tracklog.store.auth import TOKEN_PREFIX, AuthStore, User, require
from tracklog.store.records import ProjectInfo

AUTH_RESULT = "tracklog.auth"  # scope key: the User, or the error that refused the request


async def current_user(request: Request) -> User | None:
    """The authenticated user of this request; None when the server runs without auth.

    :class:`~tracklog.server.auth_gate.AuthGate` checked the credentials before anything read
    the body; an error it met is raised here, so each route answers it in its own shape."""
    auth: AuthStore | None = request.app.state.auth
    if auth is None:
        return None
    found = request.scope.get(AUTH_RESULT)
    if found is None:  # an app built without the gate: check here, after the body was read
        found = await authenticate(request.app, request.scope)
    if isinstance(found, Exception):
        raise found
    return found


async def authenticate(app: Any, scope: Any) -> User:
    """The user the ``Authorization`` header of request ``scope`` names; raises
    :class:`AuthenticationError` or, after too many failed logins, :class:`RateLimitedError`.

    Tokens (Bearer, or as a basic password) cost one SHA-256 and one lookup; passwords go
    through ``app.state.logins`` (:class:`~tracklog.server.login_limits.PasswordChecks`)."""
    auth: AuthStore = app.state.auth
    header = Headers(scope=scope).get("authorization")
    if not header:
        raise AuthenticationError(
            "this server requires authentication: send 'Authorization: Bearer TOKEN' or "
            "HTTP basic credentials"
        )
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    # Database lookups and argon2 (slow on purpose) run in a worker thread, off the event loop.
    if scheme.lower() == "bearer" and credentials:
        return await run_in_threadpool(auth.verify_token, credentials)
    if scheme.lower() == "basic" and credentials:
        name, password = _basic(credentials)
        # A known token is answered without argon2 (an expired one with its date); anything
        # else may be a password that happens to look like a token.
        if password.startswith(TOKEN_PREFIX) and (
            user := await run_in_threadpool(auth.token_user, password)
        ):
            return user
        client = scope.get("client")
        address = client[0] if client else "unknown"
        checks: PasswordChecks = app.state.logins
        return await checks.verify(auth, name, password, address)
    raise AuthenticationError("the Authorization header must be 'Bearer TOKEN' or 'Basic ...'")


def _basic(credentials: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise AuthenticationError("malformed HTTP basic credentials") from None
    name, colon, password = decoded.partition(":")
    if not colon:
        raise AuthenticationError("malformed HTTP basic credentials: expected user:password")
    return name, password


UserDep = Annotated[User | None, Depends(current_user)]


@dataclass(frozen=True)
class Guard:
    """The permission checks of one request; every check passes when auth is off."""

    auth: AuthStore | None
    user: User | None

    @property
    def active(self) -> bool:
        """Whether checks apply: auth is on and the user is not an admin."""
        return self._checked() is not None

    def _checked(self) -> tuple[AuthStore, User] | None:
        if self.auth is None or self.user is None or self.user.is_admin:
            return None
        return self.auth, self.user

    def require_run(self, run_id: str, need: str) -> None:
        """Raise unless the user holds ``need`` on the project of run ``run_id``."""
        if checked := self._checked():
            auth, user = checked
            auth.require_run(user, run_id, need)

    def require_experiment(self, experiment_id: int, need: str) -> None:
        """Raise unless the user holds ``need`` on the project whose id is ``experiment_id``
        (:class:`NotFoundError` if there is none)."""
        if checked := self._checked():
            auth, user = checked
            access = auth.experiment_access(user, experiment_id)
            if access is None:
                raise NotFoundError(f"No Experiment with id={experiment_id} exists")
            require(user, access, need)

    def readable_ids(self) -> set[int] | None:
        """Ids of the projects the user may read; None: every project."""
        if not (checked := self._checked()):
            return None
        auth, user = checked
        return set(auth.readable_ids(user) or ())

    def created(self, project_id: int) -> None:
        """After the user created project ``project_id``: they get MANAGE on it."""
        if self.user is not None and self.auth is not None:
            self.auth.grant_creator(self.user, project_id)

    def require_project(self, project: str, need: str) -> bool:
        """Raise unless the user holds ``need`` on ``project``; False if it does not exist."""
        if not (checked := self._checked()):
            return True
        auth, user = checked
        access = auth.project_access(user, project)
        if access is None:
            return False
        require(user, access, need)
        return True

    def claim_project(self, project: str) -> None:
        """Before a run is created in ``project``: create it for this user (who gets
        MANAGE) if it is new, else require EDIT."""
        if self.user is not None and self.auth is not None:
            self.auth.claim_project(self.user, project)

    def searchable(self, requested: Sequence[str] | None) -> list[str] | None:
        """The projects a search may cover: each requested one must be readable; with none
        requested, every readable project (None: no restriction)."""
        if not (checked := self._checked()):
            return None if requested is None else list(requested)
        auth, user = checked
        readable = set(auth.readable_projects(user) or ())
        if requested is None:
            return sorted(readable)
        for project in requested:
            if project not in readable:
                self.require_project(project, "READ")  # 403, or the store's 404 later
        return list(requested)

    def visible(self, projects: list[ProjectInfo]) -> list[ProjectInfo]:
        """The projects of ``projects`` the user may read."""
        if not (checked := self._checked()):
            return projects
        auth, user = checked
        readable = set(auth.readable_projects(user) or ())
        return [p for p in projects if p.name in readable]


async def get_guard(request: Request, user: UserDep) -> Guard:
    """The request's :class:`Guard` (its user is resolved once per request)."""
    return Guard(request.app.state.auth, user)


GuardDep = Annotated[Guard, Depends(get_guard)]


def run_permission(need: str) -> Any:
    """A route dependency requiring ``need`` on the project of the path's ``{run_id}``."""

    async def check(request: Request, guard: GuardDep) -> None:
        if guard.active:
            await run_in_threadpool(guard.require_run, request.path_params["run_id"], need)

    return Depends(check)


CAN_READ = run_permission("READ")
CAN_EDIT = run_permission("EDIT")
CAN_MANAGE = run_permission("MANAGE")
