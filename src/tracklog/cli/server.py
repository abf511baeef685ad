"""``tracklog server``: serve a store over HTTP to a team."""

from __future__ import annotations

import os
import sys

import click

from tracklog.cli.ports import DEFAULT_PORT, choose_port
from tracklog.cli.state import CliState, pass_state
from tracklog.client.hosts import is_loopback_host
from tracklog.server.master_watch import ENV_MASTER
from tracklog.server.settings import Settings


@click.command("server")
@click.option(
    "--backend-store-uri",
    default=None,
    help="Where runs are kept: sqlite:///FILE, postgresql://..., or a folder [default: the "
    "store of 'tracklog --uri', $TRACKLOG_URI or ./tracklog, as the SDK and 'tracklog ui'].",
)
@click.option(
    "--artifacts-destination",
    "--default-artifact-root",
    default="",
    help="Root folder or fsspec URL of run files [default: artifacts/ beside a SQLite file]. "
    "Clients always reach them through the server.",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    default=True,
    help="As mlflow server's: artifacts are always served (--no-serve-artifacts is refused).",
)
@click.option(
    "--artifacts-only",
    is_flag=True,
    help="mlflow server's artifacts-only mode: refused, naming what to use instead.",
)
@click.option(
    "--app-name",
    default=None,
    callback=lambda _ctx, _param, value: _app_name(value),
    help="mlflow server's --app-name basic-auth: the same as --auth.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "-p",
    "--port",
    type=click.IntRange(0, 65535),
    help=f"Port to listen on [default: {DEFAULT_PORT}, or a free one if it is taken]; 0 takes "
    "a free one (the start-up line names it).",
)
@click.option("-w", "--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--max-body-bytes",
    default=Settings.max_body_bytes,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request body accepted (413 beyond).",
)
@click.option(
    "--max-artifact-bytes",
    default=Settings.max_artifact_bytes,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest artifact file accepted by an upload, streamed to storage (413 beyond); "
    "artifact uploads are exempt from --max-body-bytes.",
)
@click.option(
    "--max-batch-points",
    default=Settings.max_batch_points,
    show_default=True,
    type=click.IntRange(1),
    help="Most metric points in one ingested batch (413 beyond).",
)
@click.option(
    "--max-records-per-request",
    default=Settings.max_records,
    show_default=True,
    type=click.IntRange(1),
    help="Most records in one ingest request (413 beyond).",
)
@click.option(
    "--multipart-upload-expiry",
    default=Settings.multipart_upload_expiry,
    show_default=True,
    type=click.IntRange(1),
    metavar="SECONDS",
    help="Remove an MLflow multipart upload neither completed nor aborted once untouched "
    "this long (checked at start and every minute).",
)
@click.option(
    "--search-timeout",
    default=Settings.search_timeout_ms / 1000,
    show_default=True,
    type=click.FloatRange(0),
    metavar="SECONDS",
    help="Stop a search (of runs, experiments, models) that runs longer, and answer 400; "
    "0 for no bound.",
)
@click.option(
    "--auth",
    is_flag=True,
    help="Require a token or user name and password on every /api/v1 request "
    "(see 'tracklog users' and 'tracklog tokens').",
)
@click.option(
    "--failed-logins-per-user",
    default=Settings.failed_logins_per_user,
    show_default=True,
    type=click.IntRange(1),
    help="With --auth: wrong passwords for one user name allowed per --failed-login-window "
    "(429 beyond, until the oldest leaves the window); per server process.",
)
@click.option(
    "--failed-logins-per-address",
    default=Settings.failed_logins_per_address,
    show_default=True,
    type=click.IntRange(1),
    help="With --auth: wrong passwords from one client address allowed per "
    "--failed-login-window (429 beyond); per server process.",
)
@click.option(
    "--failed-login-window",
    default=Settings.failed_login_window,
    show_default=True,
    type=click.IntRange(1),
    metavar="SECONDS",
    help="The window the failed-login limits count in.",
)
@click.option(
    "--forwarded-allow-ips",
    default="",
    metavar="ADDRESSES",
    help="Comma-separated addresses of reverse proxies whose X-Forwarded-For and "
    "X-Forwarded-Proto are trusted (the client address then comes from them; '*' trusts "
    "all). By default none: a client cannot choose the address the login limit counts.",
)
@click.option(
    "--alert-webhook",
    default="",
    metavar="URL",
    help="POST each new run alert (run.alert) there as JSON (Slack's incoming-webhook shape: "
    "'text', plus the alert's fields under 'alert').",
)
@pass_state
def server(
    state: CliState,
    backend_store_uri: str | None,
    artifacts_destination: str,
    serve_artifacts: bool,
    artifacts_only: bool,
    app_name: str | None,
    host: str,
    port: int | None,
    workers: int,
    max_body_bytes: int,
    max_artifact_bytes: int,
    max_batch_points: int,
    max_records_per_request: int,
    multipart_upload_expiry: int,
    search_timeout: float,
    auth: bool,
    failed_logins_per_user: int,
    failed_logins_per_address: int,
    failed_login_window: int,
    forwarded_allow_ips: str,
    alert_webhook: str,
) -> None:
    """Serve a store over HTTP (native API under /api/v1, OpenAPI at /api/v1/openapi.json).

    ``mlflow server`` habits work: --default-artifact-root is --artifacts-destination,
    --app-name basic-auth is --auth, -p/-w are --port/--workers.
    """
    _refuse_mlflow_modes(serve_artifacts, artifacts_only)
    if alert_webhook:
        from tracklog.errors import InvalidValueError
        from tracklog.server.alert_webhook import checked_url

        try:
            checked_url(alert_webhook)
        except InvalidValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--alert-webhook") from None
    auth = auth or app_name == "basic-auth"
    import uvicorn

    from tracklog.store.tracking import Store

    port = choose_port(host, port)
    settings = Settings(
        backend_store_uri=backend_store_uri or state.uri,
        artifacts_destination=artifacts_destination,
        max_body_bytes=max_body_bytes,
        max_artifact_bytes=max_artifact_bytes,
        max_batch_points=max_batch_points,
        max_records=max_records_per_request,
        multipart_upload_expiry=multipart_upload_expiry,
        search_timeout_ms=round(search_timeout * 1000),
        auth=auth,
        failed_logins_per_user=failed_logins_per_user,
        failed_logins_per_address=failed_logins_per_address,
        failed_login_window=failed_login_window,
        alert_webhook=alert_webhook,
    )
    # A bad URI or a database that is not a tracklog store (an MLflow one, say) fails here,
    # with one line, not in every worker; the schema is also brought up to date once.
    Store(settings.store_location()).close()
    if not auth and not is_loopback_host(host):
        click.secho(
            f"WARNING: tracklog server listens on {host} without authentication: anyone who "
            "can reach this port can read and change every run. Add --auth (docs/server.md).",
            fg="red",
            bold=True,
            err=True,
        )
    # Workers are separate processes; they build the app from these variables, and end when
    # this process is gone.
    os.environ.update(settings.to_env())
    os.environ[ENV_MASTER] = str(os.getpid())
    uvicorn.run(
        "tracklog.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        # uvicorn trusts X-Forwarded-For from loopback unless told otherwise.
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or None,
    )
    sys.exit(0)


def _app_name(value: str | None) -> str | None:
    if value not in (None, "basic-auth"):
        raise click.BadParameter(
            f"{value!r}: tracklog has no server plug-ins; it knows only "
            "--app-name basic-auth (the same as --auth)",
            param_hint="--app-name",
        )
    return value


def _refuse_mlflow_modes(serve_artifacts: bool, artifacts_only: bool) -> None:
    """``mlflow server`` modes tracklog has no counterpart of, refused naming what to do."""
    if not serve_artifacts:
        raise click.UsageError(
            "--no-serve-artifacts: tracklog always serves artifacts through the server (clients "
            "need no storage credentials); drop the flag, and say where files are stored with "
            "--artifacts-destination"
        )
    if artifacts_only:
        raise click.UsageError(
            "--artifacts-only: tracklog has no artifacts-only mode; one tracklog server serves "
            "runs and their files together (--artifacts-destination says where files go)"
        )
