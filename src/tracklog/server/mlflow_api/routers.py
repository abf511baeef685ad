"""Every MLflow router the server mounts (see ``tracklog.server.mlflow_api.install``)."""

from __future__ import annotations

from fastapi import APIRouter

from tracklog.server.mlflow_api import logged_models, registry

API_ROUTERS: tuple[APIRouter, ...] = (registry.router, logged_models.router)
ARTIFACT_ROUTERS: tuple[APIRouter, ...] = ()
