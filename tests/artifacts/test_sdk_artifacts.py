"""``tracklog.Artifact`` through the SDK on a local store: build, log, use, download, verify,
aliases and lineage through ``Api``; the plain ``log_artifact(path)`` keeps working."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidValueError, NotFoundError, TracklogError
from tracklog.store.artifact_blobs import BLOBS


def _dataset(folder: Path, changed: bytes = b"b") -> Path:
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_bytes(b"a")
    (folder / "sub" / "b.txt").write_bytes(changed)
    return folder


def test_log_use_download_verify_and_lineage(local_store: str, tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data")
    with tracklog.init(project="p") as producer:
        art = tracklog.Artifact("mnist", "dataset", description="digits", metadata={"n": 2})
        art.add_dir(data)
        art.add_file(data / "a.txt", name="copy/a.txt")
        with art.new_file("notes.md", mode="w") as f:
            f.write("hello")
        art.add_reference((data / "a.txt").as_uri(), name="ref.txt")
        art.remove("copy")
        assert art.get_entry("sub/b.txt").size == 1
        logged = producer.log_artifact(art, aliases=["best"])
        assert logged is art and art.version == "v0"
        assert art.aliases == ["best", "latest"]
        assert producer.log_artifact(str(data / "a.txt")) is None  # a plain run file, as before
        assert [a.qualified_name for a in producer.logged_artifacts()] == ["mnist:v0"]
    assert "a.txt" in tracklog.Api().run(producer.id).files()
    with tracklog.init(project="p") as consumer:
        used = consumer.use_artifact("mnist:best")
        assert (used.version, used.metadata, used.description) == ("v0", {"n": 2}, "digits")
        assert [e.path for e in used.files()] == ["a.txt", "notes.md", "ref.txt", "sub/b.txt"]
        root = used.download(tmp_path / "out")
        assert (root / "notes.md").read_text() == "hello"
        assert (root / "ref.txt").read_bytes() == b"a"
        used.verify(root)
        (root / "sub" / "b.txt").write_bytes(b"tampered")
        with pytest.raises(InvalidValueError, match="does not match its digest"):
            used.verify(root)
    api = tracklog.Api()
    found = api.artifact("entity/p/mnist:latest")
    assert (found.logged_by(), found.used_by()) == (producer.id, [consumer.id])
    assert [a.qualified_name for a in api.run(producer.id).logged_artifacts()] == ["mnist:v0"]
    assert [a.qualified_name for a in api.run(consumer.id).used_artifacts()] == ["mnist:v0"]


def test_a_second_version_stores_only_the_changed_file(local_store: str, tmp_path: Path) -> None:
    blobs = Path(local_store) / "artifacts" / BLOBS
    with tracklog.init(project="p") as run:
        first = tracklog.Artifact("ds", "dataset")
        first.add_dir(_dataset(tmp_path / "v0"))
        run.log_artifact(first)
        stored = {p.name for p in blobs.rglob("*") if p.is_file()}
        same = tracklog.Artifact("ds", "dataset")
        same.add_dir(_dataset(tmp_path / "again"))
        assert run.log_artifact(same, aliases=["again"]).version == "v0"
        second = tracklog.Artifact("ds", "dataset")
        second.add_dir(_dataset(tmp_path / "v1", changed=b"new"))
        assert run.log_artifact(second).version == "v1"
    added = {p.name for p in blobs.rglob("*") if p.is_file()} - stored
    assert added == {hashlib.sha256(b"new").hexdigest()}
    api = tracklog.Api()
    assert api.artifact("p/ds:again").version == "v0"
    assert api.artifact("p/ds:latest").version == "v1"


def test_aliases_set_on_a_logged_version_are_saved(local_store: str, tmp_path: Path) -> None:
    with tracklog.init(project="p") as run:
        art = tracklog.Artifact("model", "model")
        with art.new_file("w.bin", mode="wb") as f:
            f.write(b"\x00")
        run.log_artifact(art)
        art.aliases = ["production"]
        assert art.wait() is art
    assert tracklog.Api().artifact("p/model:production").version == "v0"


def test_bad_input_is_refused_with_clear_errors(local_store: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="artifact name"):
        tracklog.Artifact("no spaces", "dataset")
    art = tracklog.Artifact("ds", "dataset")
    with pytest.raises(NotFoundError, match="is not a file"):
        art.add_file(tmp_path / "missing")
    with pytest.raises(NotFoundError, match="is not a folder"):
        art.add_dir(tmp_path / "missing")
    with pytest.raises(InvalidValueError, match="not a URI"):
        art.add_reference("/plain/path")
    with pytest.raises(NotFoundError, match="no entry"):
        art.remove("nothing")
    with pytest.raises(TracklogError, match="not logged yet"):
        art.download(tmp_path)
    with pytest.raises(TracklogError, match="not logged yet"):
        art.wait()
    (tmp_path / "f").write_bytes(b"1")
    art.add_file(tmp_path / "f")
    with tracklog.init(project="p") as run:
        with pytest.raises(InvalidValueError, match="reserved"):
            run.log_artifact(art, aliases=["v1"])
        run.log_artifact(art)
        with pytest.raises(TracklogError, match="cannot change"):
            art.add_file(tmp_path / "f", name="g")
        with pytest.raises(NotFoundError, match=r"no version 'v4'.*versions v0"):
            run.use_artifact("ds:v4")
    with pytest.raises(InvalidValueError, match="name its project"):
        tracklog.Api().artifact("ds:v0")


def test_a_damaged_stored_file_fails_the_download(local_store: str, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"original")
    with tracklog.init(project="p") as run:
        art = tracklog.Artifact("ds", "dataset")
        art.add_file(tmp_path / "f")
        run.log_artifact(art)
    blob = next(p for p in (Path(local_store) / "artifacts" / BLOBS).rglob("*") if p.is_file())
    blob.write_bytes(b"damaged!")
    with pytest.raises(InvalidValueError, match="damaged"):
        tracklog.Api().artifact("p/ds:v0").download(tmp_path / "out")
    assert not (tmp_path / "out" / "f").exists()


def test_references_to_other_file_systems_download_through_fsspec(
    local_store: str, tmp_path: Path
) -> None:
    import fsspec

    with fsspec.open("memory://bucket/labels.csv", "wb") as f:
        f.write(b"id,label\n")
    with tracklog.init(project="p") as run:
        art = tracklog.Artifact("refs", "dataset")
        entry = art.add_reference("memory://bucket/labels.csv")
        assert (entry.path, entry.sha256, entry.ref) == (
            "labels.csv",
            None,
            "memory://bucket/labels.csv",
        )
        run.log_artifact(art)
    root = tracklog.Api().artifact("p/refs:v0").download(tmp_path / "out")
    assert (root / "labels.csv").read_bytes() == b"id,label\n"
    assert not (Path(local_store) / "artifacts" / BLOBS).exists()
