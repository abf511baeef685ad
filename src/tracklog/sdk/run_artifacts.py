"""A run's versioned artifacts: logging an :class:`~tracklog.sdk.artifact.Artifact` as a new
version (or finding the same content logged before) and using a logged one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from tracklog.errors import InvalidTypeError, InvalidValueError, TracklogError
from tracklog.sdk.artifact import Artifact
from tracklog.store.artifact_names import parse_spec

if TYPE_CHECKING:
    from tracklog.store.artifact_store import ArtifactVersionStore


def version_store(backend: Any) -> ArtifactVersionStore:
    """The store behind ``backend`` if it keeps versioned artifacts (a local store)."""
    if not hasattr(backend, "log_artifact_version"):
        raise TracklogError(
            "versioned artifacts need a local store for now (not offline mode or a server)"
        )
    return cast("ArtifactVersionStore", backend)


def log_version(
    backend: Any, run_id: str, artifact: Artifact, aliases: Sequence[str] | None
) -> Artifact:
    """Log ``artifact`` as a version of its name, logged by the run, with ``aliases``;
    the artifact then stands for that version."""
    if aliases is not None and (isinstance(aliases, str) or not isinstance(aliases, Sequence)):
        raise InvalidTypeError(f"aliases must be a list of strings, got {aliases!r}")
    store = version_store(backend)
    version = store.log_artifact_version(
        run_id,
        artifact.name,
        artifact.type,
        artifact.files(),
        artifact._sources,
        description=artifact.description,
        metadata=artifact.metadata,
        aliases=list(aliases or ()),
    )
    artifact._attach(store, version)
    return artifact


def use_version(backend: Any, run_id: str, spec: str) -> Artifact:
    """The version ``spec`` names, recorded as used by the run."""
    store = version_store(backend)
    return Artifact._of(store, store.use_artifact(run_id, spec))


def logged(backend: Any, run_id: str) -> list[Artifact]:
    """The artifact versions the run logged, oldest first."""
    store = version_store(backend)
    return [Artifact._of(store, v) for v in store.logged_artifacts(run_id)]


def used(backend: Any, run_id: str) -> list[Artifact]:
    """The artifact versions the run used, in the order it first did."""
    store = version_store(backend)
    return [Artifact._of(store, v) for v in store.used_artifacts(run_id)]


def find(backend: Any, spec: str) -> Artifact:
    """The version ``project/name:alias`` (or ``entity/project/name:vN``) names."""
    project, _, _ = parse_spec(spec)
    if project is None:
        raise InvalidValueError(f"artifact {spec!r}: name its project ('project/name:alias')")
    store = version_store(backend)
    return Artifact._of(store, store.artifact(project, spec))
