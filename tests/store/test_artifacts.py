"""Run files: upload of files and folders, download, and paths confined to the run's root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store.artifacts import safe_relpath
from tracklog.store.tracking import Store


def test_file_and_folder_round_trip(store: Store, tmp_path: Path) -> None:
    run = store.create_run("p")
    (tmp_path / "config.yaml").write_text("lr: 0.1\n")
    folder = tmp_path / "ckpt"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"\x00\x01")
    (folder / "sub" / "b.txt").write_text("b")
    store.log_artifact(run.id, tmp_path / "config.yaml", "config.yaml")
    store.log_artifact(run.id, folder, "ckpt")
    assert [f.path for f in store.list_files(run.id)] == [
        "ckpt/a.bin",
        "ckpt/sub/b.txt",
        "config.yaml",
    ]
    out = store.download_file(run.id, "ckpt/sub/b.txt", tmp_path / "out" / "b.txt")
    assert out.read_text() == "b"


@pytest.mark.parametrize(
    "bad",
    [
        "../escape",
        "/etc/passwd",
        "a/../../b",
        "a\\..\\b",
        "",
        "C:/x",
        "a\x00b",
        "\ufffd\ufffd/x",
        "a/\ud800",
    ],
)
def test_paths_outside_the_run_are_refused(bad: str) -> None:
    with pytest.raises(InvalidValueError):
        safe_relpath(bad)


def test_symlinks_leaving_the_folder_are_not_followed(store: Store, tmp_path: Path) -> None:
    run = store.create_run("p")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "ok.txt").write_text("ok")
    os.symlink(secret, folder / "leak.txt")
    store.log_artifact(run.id, folder, "out")
    assert [f.path for f in store.list_files(run.id)] == ["out/ok.txt"]


def test_missing_source_and_missing_file(store: Store, tmp_path: Path) -> None:
    run = store.create_run("p")
    with pytest.raises(NotFoundError, match=r"nothing\.txt"):
        store.log_artifact(run.id, tmp_path / "nothing.txt", "x")
    with pytest.raises(NotFoundError, match="nope"):
        store.download_file(run.id, "nope", tmp_path / "nope")
    assert store.list_files(run.id) == []


def test_an_empty_path_names_no_file_of_the_run(store: Store, tmp_path: Path) -> None:
    run = store.create_run("p")
    (tmp_path / "f.txt").write_text("kept")
    store.log_artifact(run.id, tmp_path / "f.txt", "f.txt")
    for call in (store.artifacts.delete, store.artifacts.open):
        with pytest.raises(InvalidValueError):
            call(run.artifact_uri, "")
    assert store.open_file(run.id, "f.txt").read() == b"kept"


def _linked_out(store: Store, tmp_path: Path, level: str) -> tuple[str, Path]:
    """A deleted run whose folder (``level`` "run") or experiment folder ("experiment") was
    replaced by a link to a folder outside the store holding a sentinel file."""
    run = store.create_run("p")
    folder = Path(store.artifacts.run_root(run.experiment_id, run.id))
    moved = folder if level == "run" else folder.parent
    moved.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "outside"
    target = outside / folder.name if level == "experiment" else outside
    target.mkdir(parents=True)
    (target / "sentinel.txt").write_text("outside the store")
    os.rename(moved, tmp_path / "set-aside")
    os.symlink(outside, moved)
    store.delete_run(run.id)
    return run.id, target / "sentinel.txt"


def test_purging_a_run_whose_folder_is_a_link_removes_the_link_only(
    store: Store, tmp_path: Path
) -> None:
    run_id, sentinel = _linked_out(store, tmp_path, "run")
    assert [r.id for r in store.purge_deleted_runs()] == [run_id]
    assert sentinel.read_text() == "outside the store"
    folder = Path(store.artifacts.run_root(1, run_id))
    assert not folder.exists() and not folder.is_symlink()


def test_purging_never_deletes_through_a_linked_experiment_folder(
    store: Store, tmp_path: Path
) -> None:
    _, sentinel = _linked_out(store, tmp_path, "experiment")
    with pytest.raises(InvalidValueError, match="symbolic link"):
        store.purge_deleted_runs()
    assert sentinel.read_text() == "outside the store"


def test_downloading_a_folder_skips_links_leading_out_of_the_run(
    store: Store, tmp_path: Path
) -> None:
    run = store.create_run("p")
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "ok.txt").write_text("ok")
    store.log_artifact(run.id, tmp_path / "ckpt", "ckpt")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the store")
    folder = Path(store.artifacts.run_root(run.experiment_id, run.id)) / "ckpt"
    os.symlink(secret, folder / "leak.txt")
    os.symlink(tmp_path, folder / "leakdir")
    out = store.download_file(run.id, "ckpt", tmp_path / "out")
    assert sorted(p.name for p in out.rglob("*")) == ["ok.txt"]
