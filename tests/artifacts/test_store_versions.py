"""Versioned artifacts in the store, on SQLite and PostgreSQL: versions numbered per name and
created only for new content, files stored once per digest, aliases, lineage, bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tracklog.errors import InvalidTypeError, InvalidValueError, NotFoundError
from tracklog.store.artifact_blobs import BLOBS
from tracklog.store.artifact_records import ArtifactVersion, ManifestEntry
from tracklog.store.tracking import Store


def _file(folder: Path, name: str, data: bytes) -> tuple[ManifestEntry, str, Path]:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    return ManifestEntry(name, sha, len(data)), sha, path


def _log(
    store: Store, run_id: str, folder: Path, files: dict[str, bytes], **kw: Any
) -> ArtifactVersion:
    made = [_file(folder, n, d) for n, d in files.items()]
    return store.log_artifact_version(
        run_id,
        "data",
        "dataset",
        [m[0] for m in made],
        {m[1]: m[2] for m in made},
        **kw,
    )


def _blob_count(tmp_path: Path) -> int:
    return sum(1 for p in (tmp_path / "artifacts" / BLOBS).rglob("*") if p.is_file())


def test_versions_are_new_only_for_new_content_and_files_are_stored_once(
    store: Store, tmp_path: Path
) -> None:
    run = store.create_run("p").id
    v0 = _log(store, run, tmp_path / "a", {"x.txt": b"one", "d/y.txt": b"two"}, aliases=["best"])
    assert (v0.version, v0.file_count, v0.size, v0.run_id) == (0, 2, 6, run)
    assert v0.aliases == ["best", "latest"]
    again = _log(store, run, tmp_path / "b", {"x.txt": b"one", "d/y.txt": b"two"}, aliases=["ok"])
    assert (again.version, again.digest) == (0, v0.digest)
    assert again.aliases == ["best", "latest", "ok"]
    v1 = _log(store, run, tmp_path / "c", {"x.txt": b"one", "d/y.txt": b"changed"})
    assert v1.version == 1 and v1.aliases == ["latest"]
    assert _blob_count(tmp_path) == 3  # one, two, changed
    assert store.artifact("p", "data:best").version == 0
    assert store.artifact("p", "data").version == 1
    assert store.artifact("p", "data:v0").aliases == ["best", "ok"]
    files = store.artifact_files(v1)
    assert [(f.path, f.size) for f in files] == [("d/y.txt", 7), ("x.txt", 3)]
    with store.open_artifact_blob(files[0].sha256 or "") as f:
        assert f.read() == b"changed"


def test_lineage_records_who_logged_and_who_used(store: Store, tmp_path: Path) -> None:
    producer = store.create_run("p").id
    consumer = store.create_run("p").id
    v0 = _log(store, producer, tmp_path, {"w.bin": b"\x00\x01"})
    assert store.use_artifact(consumer, "data:latest") == v0
    store.use_artifact(consumer, "p/data:v0")  # a second use is recorded once
    assert store.artifact_users(v0) == [consumer]
    assert store.logged_artifacts(producer) == [v0]
    assert store.used_artifacts(consumer) == [v0]
    assert store.used_artifacts(producer) == [] and store.logged_artifacts(consumer) == []


def test_aliases_can_be_replaced_and_latest_stays_on_the_newest(
    store: Store, tmp_path: Path
) -> None:
    run = store.create_run("p").id
    v0 = _log(store, run, tmp_path / "a", {"a": b"1"}, aliases=["prod"])
    v1 = _log(store, run, tmp_path / "b", {"a": b"2"})
    moved = store.set_artifact_aliases(v1, ["prod", "candidate"])
    assert moved.aliases == ["candidate", "latest", "prod"]
    assert store.artifact("p", "data:v0").aliases == []
    assert store.set_artifact_aliases(v1, []).aliases == ["latest"]
    assert v0.version == 0


def test_missing_versions_name_what_exists(store: Store, tmp_path: Path) -> None:
    run = store.create_run("p").id
    _log(store, run, tmp_path, {"a": b"1"}, aliases=["best"])
    with pytest.raises(NotFoundError, match=r"no version 'v7'.*versions v0 and aliases best"):
        store.use_artifact(run, "data:v7")
    with pytest.raises(NotFoundError, match="no artifact 'nope'"):
        store.artifact("p", "nope:latest")
    with pytest.raises(NotFoundError, match="no project 'q'"):
        store.artifact("p", "q/data:latest")
    assert store.used_artifacts(run) == []


def test_bad_input_is_refused_and_nothing_stored_is_lost(store: Store, tmp_path: Path) -> None:
    run = store.create_run("p").id
    v0 = _log(store, run, tmp_path / "ok", {"a": b"1"})
    entry, sha, path = _file(tmp_path, "b", b"2")
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"name": "bad name!"}, InvalidValueError, "artifact name"),
        ({"name": "x" * 129}, InvalidValueError, "artifact name"),
        ({"type": "model"}, InvalidValueError, "has type 'dataset'"),
        ({"aliases": ["v3"]}, InvalidValueError, "reserved"),
        ({"aliases": "best"}, InvalidTypeError, "aliases must be a list"),
        ({"entries": [entry, entry]}, InvalidValueError, "given twice"),
        ({"entries": [ManifestEntry("../up", sha, 1)]}, InvalidValueError, r"\.\."),
        ({"entries": [ManifestEntry("c", "abc", 1)]}, InvalidValueError, "SHA-256"),
        ({"entries": [ManifestEntry("c", sha, -1)]}, InvalidValueError, "size"),
        (
            {"files": {}, "entries": [ManifestEntry("c", "0" * 64, 1)]},
            InvalidValueError,
            "not stored",
        ),
        ({"files": {"1" * 64: path}}, InvalidValueError, "was the file changed"),
        ({"metadata": {"k": object()}}, InvalidTypeError, "metadata"),
    ]
    for change, error, message in cases:
        args: dict[str, object] = {
            "name": "data",
            "type": "dataset",
            "entries": [entry],
            "files": {sha: path},
        } | change
        with pytest.raises(error, match=message):
            store.log_artifact_version(run, **args)  # type: ignore[arg-type]
    assert store.artifact("p", "data:latest") == v0
    assert store.logged_artifacts(run) == [v0]
    with pytest.raises(NotFoundError, match="no run"):
        store.log_artifact_version("f" * 32, "data", "dataset", [entry], {sha: path})


def test_references_are_recorded_with_a_digest_when_known(store: Store, tmp_path: Path) -> None:
    run = store.create_run("p").id
    sha = hashlib.sha256(b"r").hexdigest()
    entries = [
        ManifestEntry("local.txt", sha, 1, "file:///data/local.txt"),
        ManifestEntry("remote.csv", None, None, "s3://bucket/remote.csv"),
    ]
    version = store.log_artifact_version(run, "refs", "dataset", entries)
    assert store.artifact_files(version) == entries
    assert _blob_count(tmp_path) == 0


def test_purging_runs_keeps_versions_and_their_files(store: Store, tmp_path: Path) -> None:
    producer = store.create_run("p").id
    consumer = store.create_run("p").id
    v0 = _log(store, producer, tmp_path, {"a": b"kept"})
    store.use_artifact(consumer, "data:v0")
    for run in (producer, consumer):
        store.delete_run(run)
    assert {r.id for r in store.purge_deleted_runs()} == {producer, consumer}
    kept = store.artifact("p", "data:latest")
    assert (kept.digest, kept.run_id) == (v0.digest, None)
    assert store.artifact_users(kept) == []
    with store.open_artifact_blob(hashlib.sha256(b"kept").hexdigest()) as f:
        assert f.read() == b"kept"


def test_versions_logged_at_once_get_distinct_numbers(store: Store, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    run = store.create_run("p").id

    def log(i: int) -> int:
        return _log(store, run, tmp_path / str(i), {"a": str(i).encode()}).version

    with ThreadPoolExecutor(4) as pool:
        numbers = sorted(pool.map(log, range(8)))
    assert numbers == list(range(8))
    assert store.artifact("p", "data:latest").version == 7
