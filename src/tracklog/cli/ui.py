"""``tracklog ui``: serve the local store's web UI on 127.0.0.1 and open it in a browser."""

from __future__ import annotations

import sys
import threading
import time
import webbrowser

import click

from tracklog.cli.demo import log_demo_runs
from tracklog.cli.ports import DEFAULT_PORT, choose_port
from tracklog.cli.state import CliState, pass_state

DEMO_PROJECT = "demo"
DEMO_RUNS = 3


@click.command("ui")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help=f"Port to listen on [default: {DEFAULT_PORT}, or a free one if it is taken].",
)
@click.option("--no-browser", is_flag=True, help="Only serve; do not open a browser.")
@click.option(
    "--demo/--no-demo",
    default=True,
    show_default=True,
    help="Log a few demo runs first if the store is empty.",
)
@pass_state
def ui(state: CliState, port: int | None, no_browser: bool, demo: bool) -> None:
    """Serve the store's web UI at http://127.0.0.1:PORT/ (as 'tracklog server' on it would)
    and open it in a browser. Stop with Ctrl-C."""
    uri = state.uri
    if uri.startswith(("http://", "https://")):
        raise click.UsageError(
            f"the store {uri} is a tracklog server, which serves the UI itself: open {uri}/"
        )
    port = choose_port("127.0.0.1", port)
    # Empty means no runs: MLflow's empty "Default" experiment is in every store.
    if demo and not any(p.run_count for p in state.store.projects()):
        log_demo_runs(uri, DEMO_RUNS, DEMO_PROJECT)
        click.echo(
            f"The store was empty: logged {DEMO_RUNS} demo runs into project "
            f"{DEMO_PROJECT!r} (labelled 'demo'; remove them with 'tracklog demo --remove')."
        )
    state.close()
    url = f"http://127.0.0.1:{port}/"
    click.echo(f"tracklog UI of {uri} at {url} (Ctrl-C stops it)")
    if not no_browser:
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    _serve(uri, port)


def _serve(uri: str, port: int) -> None:
    import uvicorn

    from tracklog.server.app import create_app
    from tracklog.server.settings import Settings

    app = create_app(Settings(backend_store_uri=uri))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    sys.exit(0)


def _open_when_up(url: str, timeout: float = 30.0) -> None:
    """Open ``url`` in a browser once the server answers (a browser opened too early shows
    a connection error)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}health", timeout=1).status_code == 200:
                webbrowser.open(url)
                return
        except httpx.TransportError:
            time.sleep(0.2)
