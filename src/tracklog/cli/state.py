"""The state every command shares: the store URI from ``--uri`` and the store, opened lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from tracklog.sdk.api import Api
    from tracklog.store.interface import TrackingStore
    from tracklog.store.tracking import Store


@dataclass
class CliState:
    """``uri_option`` is ``--uri`` as given (None when left out)."""

    uri_option: str | None = None
    _api: Api | None = field(default=None, repr=False)

    @property
    def uri(self) -> str:
        """The store URI: ``--uri``, else ``set_tracking_uri``/``$TRACKLOG_URI``/./tracklog."""
        if self.uri_option is not None:
            return self.uri_option
        from tracklog.sdk.stores import get_tracking_uri

        return get_tracking_uri()

    @property
    def api(self) -> Api:
        """The store's read API, opened on first use (``--help`` never touches a database)."""
        if self._api is None:
            from tracklog.sdk.api import Api

            self._api = Api(self.uri)
            # Api only reads; a command may write, so it records the crashes Api would show
            # (a server's client does nothing here: the server records its own).
            self._api.store.mark_crashed_runs()
        return self._api

    @property
    def store(self) -> TrackingStore:
        """The store itself (or the server standing for it), for writes and per-run details."""
        return self.api.store

    def local_store(self) -> Store:
        """The store itself; commands that need its database (whole-run writes, purges)
        cannot go through a server."""
        from tracklog.store.tracking import Store

        store = self.store
        if not isinstance(store, Store):
            command = click.get_current_context().command_path
            raise click.ClickException(
                f"'{command}' needs direct access to the store (a folder, SQLite or "
                "PostgreSQL URI), not a tracklog server"
            )
        return store

    def close(self) -> None:
        """Release the database (or server) connections, if a store was opened."""
        if self._api is not None:
            self._api.store.close()


pass_state = click.make_pass_decorator(CliState)
