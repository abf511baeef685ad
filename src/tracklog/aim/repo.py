"""Aim's ``Repo``: here a tracklog store (a folder, a database URI or a server URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from tracklog.errors import NotFoundError
from tracklog.sdk.api import Api, ApiRun
from tracklog.sdk.stores import get_tracking_uri


class Repo:
    """A tracklog store named as Aim names a repository; runs read from it are
    :class:`tracklog.Api` runs."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Repo:
        """The store at ``path``."""
        return cls(path)

    @classmethod
    def default_repo(cls) -> Repo:
        """The store new runs use (``$TRACKLOG_URI``, else ``./tracklog``)."""
        return cls(get_tracking_uri())

    def iter_runs(self) -> Iterator[ApiRun]:
        """Every active run of the store, newest first."""
        return iter(Api(self.path).runs())

    def get_run(self, run_hash: str) -> ApiRun | None:
        """The run ``run_hash`` (an id or a unique prefix), or None as Aim answers."""
        try:
            return Api(self.path).run(run_hash)
        except NotFoundError:
            return None

    def __repr__(self) -> str:
        return f"<tracklog.aim Repo {self.path!r}>"
