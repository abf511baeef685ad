"""``save(glob_str, base_path, policy)``: "now", "end" and "live" files become run files, on a
local store and through a server."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidValueError


def _stored(run_id: str, name: str, tmp_path: Path) -> str:
    return tracklog.Api().run(run_id).download(name, tmp_path / "dl").read_text()


def test_now_end_and_live_policies(local_store: str, tmp_path: Path) -> None:
    Path("logs").mkdir()
    Path("logs/a.txt").write_text("a")
    Path("final.txt").write_text("draft")
    Path("live.txt").write_text("v1")
    with tracklog.init(project="p") as run:
        assert run.save("logs/*.txt", policy="now") == ["logs/a.txt"]
        assert run.save("final.txt", policy="end") == ["final.txt"]
        assert run.save("live.txt") == ["live.txt"]  # live is W&B's default
        files = tracklog.Api().run(run.id).files()
        assert "logs/a.txt" in files and "live.txt" in files and "final.txt" not in files
        assert _stored(run.id, "live.txt", tmp_path) == "v1"
        Path("live.txt").write_text("version 2")
        run._writer.tick()  # the writer thread's periodic call polls the live files
        assert _stored(run.id, "live.txt", tmp_path) == "version 2"
        Path("final.txt").write_text("final")
        Path("live.txt").write_text("version three")
    assert tracklog.Api().run(run.id).files() == ["final.txt", "live.txt", "logs/a.txt"]
    assert _stored(run.id, "final.txt", tmp_path) == "final"
    assert _stored(run.id, "live.txt", tmp_path) == "version three"


def test_base_path_names_the_files(local_store: str, tmp_path: Path) -> None:
    Path("out/ckpt").mkdir(parents=True)
    Path("out/ckpt/model.bin").write_bytes(b"\x00\x01")
    with tracklog.init(project="p") as run:
        assert run.save("out/ckpt/*.bin", base_path="out", policy="now") == ["ckpt/model.bin"]
        absolute = str(tmp_path / "out" / "*" / "*.bin")
        assert run.save(absolute, policy="now") == ["ckpt/model.bin"]
    assert tracklog.Api().run(run.id).files() == ["ckpt/model.bin"]


def test_bad_policy_and_glob_raise_and_nothing_is_saved(local_store: str) -> None:
    Path("a.txt").write_text("a")
    with tracklog.init(project="p") as run:
        with pytest.raises(InvalidValueError, match=r"policy.*'sometimes'"):
            run.save("a.txt", policy="sometimes")
        with pytest.raises(InvalidValueError, match="glob_str"):
            run.save("")
    assert tracklog.Api().run(run.id).files() == []


def test_save_through_a_server(remote: str, tmp_path: Path) -> None:
    Path("now.txt").write_text("now")
    Path("end.txt").write_text("end")
    Path("live.txt").write_text("v1")
    with tracklog.init(project="p") as run:
        run.save("now.txt", policy="now")
        run.save("end.txt", policy="end")
        run.save("live.txt", policy="live")
        Path("live.txt").write_text("v2")
        run._writer.tick()
        Path("live.txt").write_text("v3")
    assert tracklog.Api().run(run.id).files() == ["end.txt", "live.txt", "now.txt"]
    assert _stored(run.id, "live.txt", tmp_path) == "v3"


def test_save_offline_arrives_with_sync(local_store: str) -> None:
    from tracklog.sdk.sync import sync_folder
    from tracklog.store.tracking import Store

    Path("end.txt").write_text("end")
    with tracklog.init(project="p", mode="offline") as run:
        run.save("end.txt", policy="end")
    sync_folder(Store(local_store), Path(local_store) / "offline" / run.id)
    assert tracklog.Api().run(run.id).files() == ["end.txt"]
