"""The remote client: a tracklog server over HTTP, spoken to like a local store.

:class:`~tracklog.client.remote.RemoteStore` has the methods of
:class:`~tracklog.store.tracking.Store` that the SDK, ``Api`` and the CLI call;
:mod:`tracklog.client.sender` replays a run's journal to the server in the background.
Nothing here imports the server.
"""

from tracklog.client import httpx_cli

httpx_cli.defer()  # before client.http imports httpx
