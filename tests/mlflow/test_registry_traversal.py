"""A registered version's source is the client's to follow: one that points up and out of the
artifact root leads the real ``mlflow`` client only to refusals, never to a file beside the
server's store."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from inprocess import socket_server

SECRET = b"the sentinel beside the server's artifact root"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A server whose artifact root has a sentinel folder beside it; the client pointed at it."""
    import mlflow

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "model").mkdir()
    (outside / "model" / "secret.bin").write_bytes(SECRET)
    with socket_server(f"sqlite:///{tmp_path / 't.db'}", tmp_path / "store" / "root") as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        yield server.url, outside


def test_a_version_pointing_out_of_the_root_downloads_nothing(
    world: tuple[str, Path], tmp_path: Path
) -> None:
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts

    url, outside = world
    client = MlflowClient(url)
    run = client.create_run(client.create_experiment("reg-traversal")).info
    up = "../" * 8 + str(outside / "model").lstrip("/")
    sources = [
        f"mlflow-artifacts:/{up}",
        f"mlflow-artifacts:/{up.replace('..', '%2e%2e')}",
        f"mlflow-artifacts:/{run.experiment_id}/{run.run_id}/artifacts/{up}",
        f"runs:/{run.run_id}/{up}",
    ]
    client.create_registered_model("escape")
    for number, source in enumerate(sources, start=1):
        client.create_model_version("escape", source, run_id=run.run_id)
        dest = tmp_path / f"download-{number}"
        dest.mkdir()
        # Refused, or a listing of nothing: the client's error differs with the scheme, and
        # what counts is what reached the disk.
        with contextlib.suppress(Exception):
            download_artifacts(artifact_uri=f"models:/escape/{number}", dst_path=str(dest))
        for path in dest.rglob("*"):
            assert not path.is_file() or path.read_bytes() != SECRET, (source, path)
    assert sorted(p.name for p in outside.rglob("*")) == ["model", "secret.bin"]
    assert (outside / "model" / "secret.bin").read_bytes() == SECRET
