"""Every MLflow router the server mounts (see ``tracklog.server.mlflow_api.install``)."""

from __future__ import annotations

from fastapi import APIRouter

API_ROUTERS: tuple[APIRouter, ...] = ()
ARTIFACT_ROUTERS: tuple[APIRouter, ...] = ()
