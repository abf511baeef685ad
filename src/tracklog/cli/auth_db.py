"""The users, tokens and permissions of the store named by ``--uri`` (a database, not a
server URL): what ``tracklog users`` and ``tracklog tokens`` act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from tracklog.cli.state import CliState

if TYPE_CHECKING:
    from tracklog.store.auth import AuthStore


@contextmanager
def open_auth(state: CliState) -> Iterator[AuthStore]:
    """The auth tables of the ``--uri`` store, closed afterwards."""
    from tracklog.store.auth import AuthStore
    from tracklog.store.tracking import Store

    uri = state.uri
    if uri.startswith(("http://", "https://")):
        raise click.UsageError(
            f"users and tokens live in the server's database, not at {uri}: pass --uri with "
            "the server's --backend-store-uri"
        )
    store = Store(uri)
    try:
        yield AuthStore(store)
    finally:
        store.close()
