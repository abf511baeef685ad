"""MLflow's REST API on the tracklog server, so the unmodified ``mlflow`` client logs to it.

Routes follow MLflow's protos (``service.proto``, ``model_registry.proto``,
``mlflow_artifacts.proto``) and answer errors in MLflow's shape (see ``errors``). Each module
here builds one ``MlflowRouter``; ``install`` mounts them under MLflow's prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, FastAPI, Request
from fastapi.params import Depends as Dependency

from tracklog.errors import PermissionDeniedError
from tracklog.server.auth import UserDep

# MLflow's UI calls the same handlers under /ajax-api; clients use /api.
API_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
ARTIFACTS_PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")


async def admins_only(request: Request, user: UserDep) -> None:
    """With ``--auth``, only admins may use the MLflow routes: they do not check the
    per-project grants of ``/api/v1`` yet, so anyone else could reach every experiment.
    The user's name is kept on the request for the routes that record who did something."""
    if user is not None and not user.is_admin:
        raise PermissionDeniedError(
            f"user {user.name!r} is not an admin: with --auth, the MLflow API is open to admins "
            "only (per-experiment permissions are not enforced on it yet)"
        )
    request.state.mlflow_user = user.name if user is not None else None


def install(app: FastAPI, dependencies: Sequence[Dependency] = ()) -> None:
    """Mount every MLflow router on ``app``, each route with ``dependencies`` (auth) and
    :func:`admins_only`."""
    # Route modules add themselves to this tuple as they land; imported here, not at module
    # level, so the native server does not pay for MLflow's routes until they are mounted.
    from tracklog.server.mlflow_api import routers, routing

    dependencies = [*dependencies, Depends(admins_only)]

    for router in routers.API_ROUTERS:
        for prefix in API_PREFIXES:
            app.include_router(router, prefix=prefix, dependencies=list(dependencies))
    for router in routers.ARTIFACT_ROUTERS:
        for prefix in ARTIFACTS_PREFIXES:
            app.include_router(router, prefix=prefix, dependencies=list(dependencies))
    # Last, so it only answers what no route above matched: in MLflow's shape, so the client
    # reports ENDPOINT_NOT_FOUND rather than an unparsable answer.
    for prefix in (*API_PREFIXES, *ARTIFACTS_PREFIXES):
        app.include_router(
            routing.not_found_router(), prefix=prefix, dependencies=list(dependencies)
        )
