"""The ASGI app: ``create_app(settings)``, or ``app_from_env()`` for uvicorn workers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from tracklog._version import __version__
from tracklog.server import errors, mlflow_api
from tracklog.server.alert_webhook import AlertWebhook
from tracklog.server.auth import current_user
from tracklog.server.auth_gate import AuthGate
from tracklog.server.cross_site import RefuseCrossSite
from tracklog.server.disconnect import CancelOnDisconnect
from tracklog.server.gzip_requests import GzipRequests
from tracklog.server.limits import BodyLimit
from tracklog.server.login_limits import LoginLimits, PasswordChecks
from tracklog.server.master_watch import watch_master
from tracklog.server.routes import (
    alerts,
    artifacts,
    health,
    ingest,
    media,
    permissions,
    project_keys,
    projects,
    run_events,
    run_pages,
    runs,
    series,
    series_batch,
    sweeps,
    tables,
)
from tracklog.server.settings import Settings
from tracklog.server.ui.routes import mount_ui
from tracklog.server.upkeep import start_sweeper, stop_sweeper
from tracklog.store.auth import AuthStore
from tracklog.store.tracking import Store


def create_app(settings: Settings) -> FastAPI:
    """The tracking server for ``settings``; each process opens its own store connection."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        location = settings.store_location()
        app.state.store = Store(location, search_timeout_ms=settings.search_timeout_ms)
        app.state.auth = AuthStore(app.state.store) if settings.auth else None
        limits = LoginLimits(
            settings.failed_logins_per_user,
            settings.failed_logins_per_address,
            settings.failed_login_window,
        )
        app.state.logins = PasswordChecks(limits) if settings.auth else None
        app.state.settings = settings
        hook = settings.alert_webhook
        app.state.alert_webhook = AlertWebhook(hook) if hook else None
        sweeper = await start_sweeper(app.state.store, settings.multipart_upload_expiry)
        yield
        if app.state.alert_webhook is not None:
            app.state.alert_webhook.close()
        if app.state.logins is not None:
            app.state.logins.close()
        await stop_sweeper(sweeper)
        app.state.store.close()

    app = FastAPI(
        title="tracklog",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(health.router)
    # Every /api/v1 route needs credentials when auth is on (current_user is a no-op if off).
    ui_api = (project_keys, series_batch, run_events)  # endpoints made for the web UI
    native = (
        projects,
        permissions,
        runs,
        alerts,
        run_pages,
        series,
        media,
        tables,
        ingest,
        artifacts,
        sweeps,
    )
    for module in (*native, *ui_api):
        app.include_router(module.router, dependencies=[Depends(current_user)])
    mlflow_api.install(app, dependencies=[Depends(current_user)])
    mount_ui(app)  # the web UI at /, reading only the API above
    app.add_middleware(CancelOnDisconnect)  # innermost: sees the body as the routes read it
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_artifact_bytes,
    )
    app.add_middleware(GzipRequests, max_bytes=settings.max_body_bytes)  # decodes before limits
    app.add_middleware(AuthGate)  # no body is read before the credentials pass
    app.add_middleware(RefuseCrossSite)  # outermost: another site's writes go no further
    return app


def app_from_env() -> FastAPI:
    """The app for a uvicorn worker process, configured by ``TRACKLOG_SERVER_*`` variables.

    What exists once the app is built (modules, classes, routes: ~90,000 objects) lives as
    long as the process, so it is moved out of the garbage collector's view: a full collection,
    which a page of MLflow's search (tens of thousands of objects) triggers every few
    requests, then scans only what requests made, instead of taking ~25 ms each time."""
    app = create_app(Settings.from_env())
    watch_master()
    gc.collect()  # what is garbage now is not kept forever
    gc.freeze()
    return app
