"""Plain data of versioned artifacts: manifest entries and versions. Nothing here imports
SQLAlchemy: the SDK uses them too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ManifestEntry:
    """One file of an artifact version: stored content (``sha256``, ``size``) or a reference
    (``ref``, with its digest and size where they could be had cheaply)."""

    path: str
    sha256: str | None
    size: int | None
    ref: str | None = None


@dataclass(frozen=True)
class ArtifactVersion:
    """One version of an artifact: ``version`` is N of ``vN``; ``run_id`` logged it (None
    once that run was purged)."""

    project: str
    name: str
    type: str
    description: str | None
    version: int
    digest: str
    run_id: str | None
    size: int
    file_count: int
    created_at: int
    metadata: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)

    @property
    def qualified_name(self) -> str:
        """``name:vN``, the name that always finds this version."""
        return f"{self.name}:v{self.version}"
