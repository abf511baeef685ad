"""``tracklog.login()`` (W&B's ``wandb.login``): save a server's token for later runs."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from tracklog.client import credentials
from tracklog.client.settings import ENV_TOKEN
from tracklog.errors import InvalidValueError
from tracklog.sdk import init_compat
from tracklog.sdk.stores import get_tracking_uri, set_tracking_uri
from tracklog.store.location import is_server_uri


def login(
    key: str | None = None,
    host: str | None = None,
    relogin: bool | None = None,
    verify: bool = False,
    **ignored: Any,
) -> bool:
    """Save ``key`` as the token of the server ``host`` (default: the tracking URI, if it
    names a server) in the user's credentials file (``tracklog login`` does the same), which
    the client uses when ``$TRACKLOG_TOKEN`` is unset; ``host`` also becomes this process's
    tracking URI. Without ``key``, a token already known is kept (unless ``relogin``) or one
    is asked for on a terminal. ``verify`` checks the token with the server first. W&B's other
    arguments are ignored with a warning. Returns True."""
    init_compat.warn_ignored(ignored, "login")
    url = host or get_tracking_uri()
    if not is_server_uri(url):
        raise InvalidValueError(
            "login() needs host='http(s)://HOST:PORT' (or $TRACKLOG_URI naming a server); "
            "a local store needs no login"
        )
    credentials.host_key(url)  # a bad URL raises before anything is asked or saved
    if key is None:
        known = os.environ.get(ENV_TOKEN) or credentials.token_for(url)
        if known and not relogin:
            _use(host)
            return True
        if not sys.stdin.isatty():
            raise InvalidValueError(f"login(): no token for {url}; pass key='...'")
        key = getpass.getpass(f"tracklog token for {url}: ").strip()
    if verify:
        check_token(url, key)
    credentials.save(url, key)
    _use(host)
    return True


def check_token(url: str, token: str) -> None:
    """Raise (AuthenticationError, or the error of an unreachable server) unless the server
    at ``url`` takes ``token``."""
    from tracklog.client.remote import RemoteStore

    remote = RemoteStore(url, token=token)
    try:
        remote.projects()
    finally:
        remote.close()


def _use(host: str | None) -> None:
    if host is not None:
        set_tracking_uri(host)
