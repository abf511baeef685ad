"""The port ``tracklog ui`` and ``tracklog server`` listen on, checked before anything starts."""

from __future__ import annotations

import errno
import socket

import click

# Not MLflow's 5000: macOS's AirPlay receiver listens there, and a browser sent to
# localhost:5000 can end up talking to it.
DEFAULT_PORT = 5050


def choose_port(host: str, port: int | None) -> int:
    """The port to serve on. A port the user chose must be free (a ClickException naming it
    otherwise, before any URL is printed); without one, :data:`DEFAULT_PORT`, or a free port
    when that is taken (said on stderr). 0 stays 0: the server takes a free one itself."""
    if port == 0:
        return 0
    wanted = DEFAULT_PORT if port is None else port
    if _free(host, wanted):
        return wanted
    if port is not None:
        raise click.ClickException(
            f"port {port} on {host} is in use (another server listens there): choose another "
            "with --port, or --port 0 for any free one"
        )
    chosen = _any_free(host)
    click.echo(f"port {DEFAULT_PORT} on {host} is in use; using the free port {chosen}", err=True)
    return chosen


def _bound(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    # As uvicorn binds: a port left in TIME_WAIT by a stopped server counts as free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def _free(host: str, port: int) -> bool:
    try:
        _bound(host, port).close()
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return False
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return True


def _any_free(host: str) -> int:
    with _bound(host, 0) as sock:
        port: int = sock.getsockname()[1]
        return port
