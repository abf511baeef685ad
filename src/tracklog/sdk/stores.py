"""The tracking URI, and opening what it names, the one dispatch ``init()`` and ``Api`` share:
a server's ``http(s)://`` URL is a :class:`RemoteStore`, anything else a local :class:`Store`;
a run's backend adds the offline journal and the disabled mode."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tracklog.store.location import DEFAULT_DIR, ENV_URI, is_server_uri

if TYPE_CHECKING:
    from tracklog.client.remote import RemoteStore
    from tracklog.client.settings import ClientSettings
    from tracklog.sdk.backend import Backend
    from tracklog.store.interface import TrackingStore
    from tracklog.store.location import StoreLocation
    from tracklog.store.tracking import Store

# The stores the process's runs share (engines and connection pools are costly to create).
local_stores: dict[StoreLocation, Store] = {}
servers: dict[tuple[str, ClientSettings], RemoteStore] = {}
_tracking_uri: str | None = None


def set_tracking_uri(uri: str | None) -> None:
    """Use ``uri`` (a folder, ``sqlite:///FILE``, ``postgresql://...`` or a server's
    ``http(s)://`` URL) for new runs and ``Api()``; ``None`` goes back to ``$TRACKLOG_URI`` or
    the default ``./tracklog``."""
    global _tracking_uri
    if uri is not None and not is_server_uri(uri):
        from tracklog.store.location import resolve

        resolve(uri)  # reject a bad URI now, not at the first init()
    _tracking_uri = uri


@contextmanager
def using_tracking_uri(uri: str) -> Iterator[None]:
    """Point new runs at ``uri`` inside a ``with`` block, then restore the earlier setting."""
    previous = _tracking_uri
    set_tracking_uri(uri)
    try:
        yield
    finally:
        set_tracking_uri(previous)


def get_tracking_uri(dir: str | os.PathLike[str] | None = None) -> str:
    """The store URI new runs use: set_tracking_uri(), else $TRACKLOG_URI, else ./tracklog."""
    if _tracking_uri is not None:
        return _tracking_uri
    return os.environ.get(ENV_URI) or str(Path(dir or ".", DEFAULT_DIR))


def open_store(uri: str, *, shared: bool = False) -> TrackingStore:
    """The store ``uri`` names; a new one the caller closes, or with ``shared`` the one the
    process's runs write to (a local one has its crashed runs marked when first opened)."""
    return _server(uri, shared) if is_server_uri(uri) else _local(uri, shared)


def open_backend(mode: str, uri: str, journal: Path, run_id: str) -> Backend:
    """Where run ``run_id`` writes in ``mode``: nowhere (disabled), the journal folder
    ``journal`` (offline), a server through that journal, or the store ``uri`` itself."""
    from tracklog.sdk.backend import DisabledBackend, JournalBackend

    if mode == "disabled":
        return DisabledBackend()
    if mode == "offline":
        # Reads (get_run, series_stats) never reach a journal: init() finds no run to resume
        # offline and refuses to reproduce one.
        return JournalBackend(journal)  # type: ignore[return-value]
    if is_server_uri(uri):
        from tracklog.sdk.server_backend import ServerBackend

        return ServerBackend(_server(uri, shared=True), journal, run_id)
    # Backend.create_run takes any keywords: init() passes ``resume`` to journals only.
    return _local(uri, shared=True)  # type: ignore[return-value]


def _server(uri: str, shared: bool) -> RemoteStore:
    from tracklog.client.remote import RemoteStore
    from tracklog.client.settings import ClientSettings

    # Keyed by the settings too: a token or timeout set in the environment later counts.
    key = (uri.strip().rstrip("/"), ClientSettings.from_env(uri))
    if not shared:
        return RemoteStore(key[0], settings=key[1])
    if key not in servers:
        servers[key] = RemoteStore(key[0], settings=key[1])
    return servers[key]


def _local(uri: str, shared: bool) -> Store:
    from tracklog.store.location import resolve
    from tracklog.store.tracking import Store

    location = resolve(uri)  # the key: a relative folder means another store after a chdir
    if not shared:
        return Store(location)
    if location not in local_stores:
        local_stores[location] = Store(location)
        local_stores[location].mark_crashed_runs()  # a writer may end what crashed before it
    return local_stores[location]
