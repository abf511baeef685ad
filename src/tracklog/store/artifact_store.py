"""The versioned-artifact methods of :class:`~tracklog.store.tracking.Store`: log a version
(files content-addressed, a new version only for a new digest), use one, read one and its
lineage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, select

from tracklog.errors import InvalidTypeError, InvalidValueError, NotFoundError
from tracklog.store import artifact_manifest, artifact_names, artifact_versions, schema
from tracklog.store.active_project import active_project_id
from tracklog.store.artifact_blobs import ArtifactBlobs
from tracklog.store.artifact_records import ArtifactVersion, ManifestEntry
from tracklog.store.artifacts import ArtifactRepository
from tracklog.store.clock import now_ms
from tracklog.store.engine import reading, writing
from tracklog.store.validation import MAX_PARAM_VALUE, free_text, json_value

_R = schema.runs
_E = schema.experiments


class ArtifactVersionStore:
    """Versioned artifacts on a store's database and artifact root."""

    engine: Engine
    artifacts: ArtifactRepository

    @property
    def artifact_blobs(self) -> ArtifactBlobs:
        """The content-addressed files of every artifact version."""
        return ArtifactBlobs(self.artifacts)

    def missing_artifact_blobs(self, digests: Iterable[str]) -> list[str]:
        """The digests whose files the store does not have yet (upload only those)."""
        return self.artifact_blobs.missing(digests)

    def put_artifact_blob(self, sha256: str, chunks: Iterable[bytes]) -> bool:
        """Store one artifact file by its digest (refused if the bytes do not match it);
        False if it was stored already."""
        return self.artifact_blobs.put(sha256, chunks)

    def log_artifact_version(
        self,
        run_id: str,
        name: str,
        type: str,
        entries: Sequence[ManifestEntry],
        files: Mapping[str, Path] | None = None,
        *,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        aliases: Sequence[str] = (),
    ) -> ArtifactVersion:
        """Record a version of artifact ``name`` in the run's project, logged by the run.

        ``files`` maps digests to local files to store (those stored already are skipped);
        every stored entry's file must be there once they are. The same manifest as an
        existing version returns that version (``aliases`` added to it); otherwise a new
        ``vN``. ``latest`` always names the newest version.
        """
        name = artifact_names.artifact_name(name)
        type_ = artifact_names.artifact_type(type)
        chosen = artifact_names.aliases(aliases)
        checked = artifact_manifest.checked(entries)
        meta = _metadata(metadata)
        if description is not None:
            description = free_text(description, "artifact description", MAX_PARAM_VALUE)
        blobs = self.artifact_blobs
        for sha256, source in (files or {}).items():
            blobs.put_file(sha256, Path(source))
        lacking = blobs.missing(e.sha256 for e in checked if e.ref is None and e.sha256)
        if lacking:
            raise InvalidValueError(
                f"artifact {name!r}: {len(lacking)} file(s) are not stored (first: {lacking[0]});"
                " upload them before logging the version"
            )
        digest = artifact_manifest.digest(checked)
        with writing(self.engine) as conn:
            project = _run_project(conn, run_id)
            version, _ = artifact_versions.log_version(
                conn,
                project,
                name,
                type_,
                checked,
                digest,
                description=description,
                metadata=meta,
                run_id=run_id,
                aliases=chosen,
                now=now_ms(),
            )
        return version

    def use_artifact(self, run_id: str, spec: str) -> ArtifactVersion:
        """The version ``spec`` names (``name:alias``, ``name:vN``, ``project/name:…``; the
        run's project by default), recorded as used by the run."""
        project, name, selector = artifact_names.parse_spec(spec)
        with writing(self.engine) as conn:
            run_project = _run_project(conn, run_id)
            pid = run_project if project is None else _project_id(conn, project)
            version = artifact_versions.find(conn, pid, name, selector)
            pk = artifact_versions.version_id(conn, version)
            artifact_versions.record_use(conn, pk, run_id, now_ms())
        return version

    def artifact(self, project: str, spec: str) -> ArtifactVersion:
        """The version ``spec`` names in ``project`` (a project in ``spec`` wins)."""
        named, name, selector = artifact_names.parse_spec(spec)
        with reading(self.engine) as conn:
            return artifact_versions.find(conn, _project_id(conn, named or project), name, selector)

    def artifact_files(self, version: ArtifactVersion) -> list[ManifestEntry]:
        """The manifest of a version, by path."""
        with reading(self.engine) as conn:
            return artifact_versions.entries(conn, artifact_versions.version_id(conn, version))

    def open_artifact_blob(self, sha256: str) -> BinaryIO:
        """A stored artifact file, by digest, for reading."""
        return self.artifact_blobs.open(sha256)

    def artifact_users(self, version: ArtifactVersion) -> list[str]:
        """The ids of the runs that used the version."""
        with reading(self.engine) as conn:
            return artifact_versions.users(conn, artifact_versions.version_id(conn, version))

    def logged_artifacts(self, run_id: str) -> list[ArtifactVersion]:
        """The artifact versions the run logged."""
        with reading(self.engine) as conn:
            return artifact_versions.logged_by_run(conn, run_id)

    def used_artifacts(self, run_id: str) -> list[ArtifactVersion]:
        """The artifact versions the run used."""
        with reading(self.engine) as conn:
            return artifact_versions.used_by_run(conn, run_id)

    def set_artifact_aliases(
        self, version: ArtifactVersion, aliases: Sequence[str]
    ) -> ArtifactVersion:
        """Make ``aliases`` the version's own (``latest`` stays with the newest); return the
        version as stored now."""
        chosen = artifact_names.aliases(aliases)
        with writing(self.engine) as conn:
            artifact_versions.set_aliases(conn, version, chosen)
            pid = _project_id(conn, version.project)
            return artifact_versions.find(conn, pid, version.name, f"v{version.version}")


def _metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidTypeError(f"artifact metadata must be a dict, got {type(metadata).__name__}")
    checked = json_value(dict(metadata), "artifact metadata")
    return dict(checked)


def _run_project(conn: Connection, run_id: str) -> int:
    """The project id of the run, once the project is checked to be active."""
    row = conn.execute(
        select(_E.c.name).join(_R, _R.c.experiment_id == _E.c.id).where(_R.c.id == run_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    return _project_id(conn, row.name)


def _project_id(conn: Connection, project: str) -> int:
    pid = active_project_id(conn, project)
    if pid is None:
        raise NotFoundError(f"there is no project {project!r}")
    return pid
