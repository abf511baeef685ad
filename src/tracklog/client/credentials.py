"""Tokens saved by ``tracklog login`` / ``tracklog.login()``: one per server, in
``$XDG_CONFIG_HOME/tracklog/credentials.json`` (``~/.config/...`` by default), readable by its
owner only. The client uses a server's token when ``$TRACKLOG_TOKEN`` is not set."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tracklog.errors import InvalidValueError

FILE_NAME = "credentials.json"


def path() -> Path:
    """Where the tokens are kept."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tracklog" / FILE_NAME


def host_key(url: str) -> str:
    """A server's URL as the file keys it: scheme, host and port lower-cased, path without
    its trailing slash; anything that is not an http(s) URL raises naming it."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidValueError(f"a server's URL must be http(s)://HOST[:PORT], got {url!r}")
    netloc = parts.netloc.rpartition("@")[2].lower()  # never a user name or password
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def token_for(url: str) -> str | None:
    """The saved token of the server at ``url``, or None (none saved, or no readable file)."""
    try:
        return _read().get(host_key(url))
    except InvalidValueError:
        return None


def save(url: str, token: str) -> Path:
    """Save ``token`` for the server at ``url`` (replacing its old one); the file path."""
    if not isinstance(token, str) or not token.strip() or any(c.isspace() for c in token):
        raise InvalidValueError("a token must be non-empty text without spaces")
    tokens = {**_read(), host_key(url): token}
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written whole under a new name with mode 0600 from the start, then renamed into place.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".credentials-")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump({"tokens": tokens}, f, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _read() -> dict[str, str]:
    try:
        data = json.loads(path().read_text())
    except (OSError, ValueError):
        return {}
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, dict):
        return {}
    return {k: v for k, v in tokens.items() if isinstance(k, str) and isinstance(v, str)}
