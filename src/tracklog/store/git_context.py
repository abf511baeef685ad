"""A run's git context (``metadata["git"]``): remote URLs without credentials, and the context
the mlflow client's source tags describe.

The mlflow client tags a run started from a git checkout with ``mlflow.source.git.commit``,
``mlflow.source.git.branch`` and ``mlflow.source.git.repoURL`` (``mlflow.gitRepoURL``); these fill
the same fields tracklog's own git capture records, marked ``"source": "mlflow tags"``, so
``runs diff`` and ``runs reproduce`` read one shape. A run's own capture is never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

FROM_MLFLOW_TAGS = "mlflow tags"
MLFLOW_GIT_TAGS = {
    "mlflow.source.git.commit": "commit",
    "mlflow.source.git.branch": "branch",
    "mlflow.source.git.repoURL": "remote_url",
    "mlflow.gitRepoURL": "remote_url",
}
MLFLOW_SOURCE_NAME = "mlflow.source.name"
_SCP_LIKE = re.compile(r"^(?P<user>[^@/:]+)(?::[^@/]*)?@(?P<rest>[^/:]+:.*)$")


def strip_credentials(url: str) -> str:
    """A remote URL without passwords or tokens.

    ``https://user:token@host/x`` and ``https://token@host/x`` become ``https://host/x``; for
    ``ssh://`` and ``user@host:path`` only a password goes (the user name is part of the address).
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        if "@" not in parts.netloc:
            return url
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        keep_user = parts.scheme in ("ssh", "git+ssh", "ssh+git")
        netloc = f"{user}@{hostport}" if keep_user else hostport
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    scp = _SCP_LIKE.match(url)
    if scp:  # git@host:owner/repo (a password here is rare, but never keep one)
        return f"{scp['user']}@{scp['rest']}"
    return url


def from_mlflow_tags(tags: Mapping[str, str]) -> dict[str, Any]:
    """The git fields ``tags`` give (empty if none), marked as coming from MLflow's tags."""
    git: dict[str, Any] = {f: tags[t] for t, f in MLFLOW_GIT_TAGS.items() if tags.get(t)}
    if not git:
        return git
    if "remote_url" in git:
        git["remote_url"] = strip_credentials(git["remote_url"])
    return {**git, "source": FROM_MLFLOW_TAGS}


def merge(current: Mapping[str, Any] | None, derived: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run's git context once ``derived`` (from tags) arrives, or None to leave it: a
    context tracklog captured itself wins over tags; one from earlier tags is updated."""
    if not derived or (current and current.get("source") != FROM_MLFLOW_TAGS):
        return None
    return {**(current or {}), **derived}
