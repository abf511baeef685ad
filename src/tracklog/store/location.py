"""Where a store lives: turning a user's URI (or nothing) into a database URL and artifact root.

The default store is a ``./tracklog`` folder in the working directory (like ``./mlruns`` and
``./wandb``): ``./tracklog/tracklog.db`` plus ``./tracklog/artifacts/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tracklog.errors import InvalidValueError

DEFAULT_DIR = "tracklog"
DB_FILE = "tracklog.db"
ENV_URI = "TRACKLOG_URI"
ENV_ARTIFACTS = "TRACKLOG_ARTIFACTS"


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: the SQLAlchemy URL and the root folder or fsspec URL of artifacts."""

    db_url: str
    artifact_root: str

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite store, else None."""
        prefix = "sqlite:///"
        return Path(self.db_url[len(prefix) :]) if self.db_url.startswith(prefix) else None

    @property
    def display_url(self) -> str:
        """The database URL with its password hidden, for messages."""
        scheme, sep, rest = self.db_url.partition("://")
        credentials, at, host = rest.partition("@")
        if at and ":" in credentials:
            rest = f"{credentials.split(':', 1)[0]}:***@{host}"
        return f"{scheme}{sep}{rest}"


def is_server_uri(uri: object) -> bool:
    """Whether ``uri`` names a tracklog server (``http://`` or ``https://``) rather than a
    database; the SDK, ``Api`` and the CLI talk to those through :mod:`tracklog.client`."""
    return isinstance(uri, str) and uri.strip().lower().startswith(("http://", "https://"))


def resolve(uri: str | None = None) -> StoreLocation:
    """Resolve ``uri`` (or ``$TRACKLOG_URI``, or the default folder) to a :class:`StoreLocation`.

    Accepted forms: a folder path, ``sqlite:///path/to/file.db``, ``postgresql://...``
    (``postgresql+psycopg://...`` too). ``$TRACKLOG_ARTIFACTS`` overrides the artifact root.
    Server URLs are refused: check :func:`is_server_uri` first.
    """
    raw = uri if uri is not None else os.environ.get(ENV_URI) or DEFAULT_DIR
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidValueError(f"store URI must be a non-empty string, got {raw!r}")
    raw = raw.strip()
    artifacts = os.environ.get(ENV_ARTIFACTS)
    if is_server_uri(raw):
        raise InvalidValueError(
            f"store URI {raw!r} names a tracklog server, and this needs a database: "
            "use a folder, sqlite:///FILE or postgresql://..."
        )
    if raw.startswith("sqlite:"):
        if not raw.startswith("sqlite:///") or raw == "sqlite:///":
            raise InvalidValueError(f"store URI {raw!r}: expected sqlite:///PATH/TO/FILE.db")
        path = Path(raw[len("sqlite:///") :]).expanduser().absolute()
        return StoreLocation(f"sqlite:///{path}", artifacts or str(path.parent / "artifacts"))
    if raw.startswith(("postgresql:", "postgresql+psycopg:", "postgres:")):
        scheme, _, rest = raw.partition("://")
        if not rest:
            raise InvalidValueError(f"store URI {raw!r}: expected postgresql://USER@HOST/DB")
        root = artifacts or str(Path(DEFAULT_DIR, "artifacts").absolute())
        return StoreLocation(f"postgresql+psycopg://{rest}", root)
    if "://" in raw:
        scheme = raw.split("://", 1)[0]
        raise InvalidValueError(
            f"store URI {raw!r}: unsupported scheme {scheme!r}; "
            "use a folder, sqlite:///FILE or postgresql://..."
        )
    folder = Path(raw).expanduser().absolute()
    if folder.suffix == ".db":
        raise InvalidValueError(f"store URI {raw!r}: for a database file write sqlite:///{folder}")
    return StoreLocation(f"sqlite:///{folder / DB_FILE}", artifacts or str(folder / "artifacts"))
