"""MLflow's REST API on the tracklog server, so the unmodified ``mlflow`` client logs to it.

Routes follow MLflow's protos (``service.proto``, ``model_registry.proto``,
``mlflow_artifacts.proto``) and answer errors in MLflow's shape (see ``errors``). Each module
here builds one ``MlflowRouter``; ``install`` mounts them under MLflow's prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, FastAPI
from fastapi.params import Depends as Dependency
from starlette.routing import Route

# MLflow's UI calls the same handlers under /ajax-api; clients use /api.
API_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
ARTIFACTS_PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
# Every path an MLflow client calls (server-info is under 3.0): errors there are MLflow's.
MLFLOW_PREFIXES = (*API_PREFIXES, *ARTIFACTS_PREFIXES, "/api/3.0/mlflow")


def install(app: FastAPI, dependencies: Sequence[Dependency] = ()) -> None:
    """Mount every MLflow router on ``app``, each route with ``dependencies`` (auth) and the
    permission check of its rule (``access.RULES``; a route without one is refused here)."""
    # The routers are listed in routers.py; imported here, not at module level, so the
    # native server does not pay for MLflow's routes until they are mounted.
    from tracklog.server.mlflow_api import access, routers, routing, server_info

    for router in (*routers.API_ROUTERS, *routers.ARTIFACT_ROUTERS):
        for route in router.routes:
            if not isinstance(route, Route):  # no HTTP methods (a mount, a websocket)
                continue
            for method in route.methods or ():
                access.rule_for(method, route.path)  # raises for a route without a rule
    not_found_dependencies = list(dependencies)
    dependencies = [*dependencies, Depends(access.enforce)]

    for router in routers.API_ROUTERS:
        for prefix in API_PREFIXES:
            app.include_router(router, prefix=prefix, dependencies=list(dependencies))
    for router in routers.ARTIFACT_ROUTERS:
        for prefix in ARTIFACTS_PREFIXES:
            app.include_router(router, prefix=prefix, dependencies=list(dependencies))
    for router in routers.OPEN_ARTIFACT_ROUTERS:  # no credentials: the URL holds a secret
        for prefix in ARTIFACTS_PREFIXES:
            app.include_router(router, prefix=prefix)
    app.include_router(server_info.router)  # no credentials, as MLflow's: nothing secret
    # Last, so it only answers what no route above matched: in MLflow's shape, so the client
    # reports ENDPOINT_NOT_FOUND rather than an unparsable answer.
    for prefix in (*API_PREFIXES, *ARTIFACTS_PREFIXES):
        app.include_router(
            routing.not_found_router(), prefix=prefix, dependencies=not_found_dependencies
        )
