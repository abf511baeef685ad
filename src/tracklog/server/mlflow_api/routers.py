"""Every MLflow router the server mounts (see ``tracklog.server.mlflow_api.install``)."""

from __future__ import annotations

from fastapi import APIRouter

from tracklog.server.mlflow_api import (
    artifacts,
    experiments,
    logged_models,
    logging,
    metrics,
    registry,
    runs,
)

API_ROUTERS: tuple[APIRouter, ...] = (
    experiments.router,
    runs.router,
    logging.router,
    metrics.router,
    registry.router,
    logged_models.router,
)
ARTIFACT_ROUTERS: tuple[APIRouter, ...] = (artifacts.router,)
# Mounted without credentials (see artifacts.parts_router).
OPEN_ARTIFACT_ROUTERS: tuple[APIRouter, ...] = (artifacts.parts_router,)
