"""Where the store lives: the default folder, URIs, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidValueError, StoreError
from tracklog.store.location import resolve


def test_default_is_a_tracklog_folder_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKLOG_URI", raising=False)
    monkeypatch.delenv("TRACKLOG_ARTIFACTS", raising=False)
    with tracklog.init(project="p") as run:
        run.log({"a": 1.0})
    assert (tmp_path / "tracklog" / "tracklog.db").exists()
    assert tracklog.Api().run(run.id).status == "FINISHED"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("sqlite://relative.db", "sqlite:///"),
        ("mysql://x", "unsupported scheme 'mysql'"),
        ("store.db", "sqlite:///"),
        ("http://server:5000", "names a tracklog server"),
        ("   ", "non-empty"),
    ],
)
def test_bad_uris_are_named(uri: str, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        resolve(uri)


def test_unopenable_store_raises_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open store"):
        tracklog.Api(f"sqlite:///{blocker}/sub/x.db")
    with pytest.raises(StoreError, match="cannot open store"):
        tracklog.Api("postgresql://nobody@127.0.0.1:1/none")


def test_set_tracking_uri_overrides_environment(tmp_path: Path) -> None:
    tracklog.set_tracking_uri(str(tmp_path / "elsewhere"))
    try:
        with tracklog.init(project="p"):
            pass
        assert (tmp_path / "elsewhere" / "tracklog.db").exists()
        with pytest.raises(InvalidValueError):
            tracklog.set_tracking_uri("mysql://x")
    finally:
        tracklog.set_tracking_uri(None)
