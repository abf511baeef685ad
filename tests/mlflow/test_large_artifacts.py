"""Artifact uploads larger than the server's request body limit: streamed to storage under
their own limit, and MLflow's proxied multipart upload, with the real mlflow client against
a ``tracklog server --auth``. A failed or aborted upload leaves what was stored before."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from inprocess import auth_socket_server
from server_process import ServerProcess

MIB = 1 << 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A server taking 1 MiB request bodies and 8 MiB artifacts; (url, token, artifact root)."""
    folder: Path = tmp_path_factory.mktemp("large-artifacts")
    limits = {"max_body_bytes": MIB, "max_artifact_bytes": 8 * MIB}
    with auth_socket_server(folder, {"writer": False}, **limits) as (server, tokens):
        yield server.url, tokens["writer"], folder / "artifacts"


@pytest.fixture
def run(server: tuple[str, str, Path], monkeypatch: pytest.MonkeyPatch) -> Any:
    """A new run in the writer's own experiment."""
    from mlflow import MlflowClient

    url, token, _ = server
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    client = MlflowClient(url)
    name = f"uploads-{time.monotonic_ns()}"
    return client, client.create_run(client.create_experiment(name)).info


def _file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def _staged(root: Path) -> list[Path]:
    """Files left in the server's staging folder (``os.walk`` skips folders the server removes
    while it looks, where ``rglob`` would raise)."""
    return [Path(d) / f for d, _, files in os.walk(root / ".tracklog-staging") for f in files]


def _until_unstaged(root: Path) -> list[Path]:
    # The server notices a dropped connection on its own schedule: wait for it, generously.
    deadline = time.monotonic() + 30
    while _staged(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _staged(root)


def test_an_artifact_over_the_body_limit_streams_in(
    server: tuple[str, str, Path], run: Any, tmp_path: Path
) -> None:
    client, info = run
    model = _file(tmp_path, "model.bin", 5 * MIB)
    client.log_artifact(info.run_id, str(model), "weights")
    assert [(f.path, f.file_size) for f in client.list_artifacts(info.run_id, "weights")] == [
        ("weights/model.bin", 5 * MIB)
    ]
    back = client.download_artifacts(info.run_id, "weights/model.bin", str(tmp_path / "back"))
    assert Path(back).read_bytes() == model.read_bytes()
    assert _staged(server[2]) == []


def test_an_artifact_over_its_limit_is_refused_and_the_old_file_stays(
    server: tuple[str, str, Path], run: Any, tmp_path: Path
) -> None:
    client, info = run
    first = _file(tmp_path, "model.bin", 2 * MIB)
    client.log_artifact(info.run_id, str(first))
    (tmp_path / "big").mkdir()
    big = _file(tmp_path / "big", "model.bin", 9 * MIB)
    with pytest.raises(Exception, match=r"413|max-artifact-bytes"):
        client.log_artifact(info.run_id, str(big))
    # Sent without a length, the body is refused once it passes the limit.
    url, token, root = server
    answer = httpx.put(
        f"{url}/api/2.0/mlflow-artifacts/artifacts/{info.experiment_id}/{info.run_id}"
        "/artifacts/model.bin",
        content=iter([b"y" * MIB] * 9),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 413
    assert "--max-artifact-bytes" in answer.json()["message"]
    back = client.download_artifacts(info.run_id, "model.bin", str(tmp_path / "back"))
    assert Path(back).read_bytes() == first.read_bytes()
    assert _until_unstaged(root) == []


def test_a_dropped_upload_leaves_no_partial_file(
    server: tuple[str, str, Path], run: Any, tmp_path: Path
) -> None:
    client, info = run
    url, token, root = server
    first = _file(tmp_path, "data.bin", MIB)
    client.log_artifact(info.run_id, str(first))

    def dies_midway() -> Iterator[bytes]:
        yield b"x" * (3 * MIB)
        raise ConnectionAbortedError("the training job was killed")

    target = f"{url}/api/2.0/mlflow-artifacts/artifacts/{info.experiment_id}/{info.run_id}"
    with pytest.raises(ConnectionAbortedError):
        httpx.put(
            f"{target}/artifacts/data.bin",
            content=dies_midway(),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert _until_unstaged(root) == []
    assert [f.path for f in client.list_artifacts(info.run_id)] == ["data.bin"]
    back = client.download_artifacts(info.run_id, "data.bin", str(tmp_path / "back"))
    assert Path(back).read_bytes() == first.read_bytes()


@pytest.fixture(params=["told", "discovered"])
def multipart(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mlflow client uploads files of 1 MiB and more in parts of 1 MiB: told to by
    ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``, or finding out from the server's server-info."""
    if request.param == "told":
        monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    else:
        monkeypatch.delenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", raising=False)
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(MIB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(MIB))


def test_server_info_answers_without_credentials(server: tuple[str, str, Path]) -> None:
    for prefix in ("/api", "/ajax-api"):
        info = httpx.get(f"{server[0]}{prefix}/3.0/mlflow/server-info")
        assert info.status_code == 200
        assert info.json()["multipart_uploads_enabled"] is True
        assert info.json()["multipart_downloads_enabled"] is False  # no presigned downloads


def test_the_client_uploads_in_parts(
    server: tuple[str, str, Path],
    run: Any,
    multipart: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

    tried = []
    original = HttpArtifactRepository._try_multipart_upload

    def recorded(self: Any, local_file: str, artifact_path: str | None = None) -> None:
        original(self, local_file, artifact_path)  # raises if the client would fall back
        tried.append(os.path.basename(local_file))

    monkeypatch.setattr(HttpArtifactRepository, "_try_multipart_upload", recorded)
    client, info = run
    model = _file(tmp_path, "model.safetensors", 3 * MIB + 12345)  # 4 parts, the last short
    client.log_artifact(info.run_id, str(model), "model")
    listed = client.list_artifacts(info.run_id, "model")
    assert [(f.path, f.file_size) for f in listed] == [
        ("model/model.safetensors", model.stat().st_size)
    ]
    assert tried == ["model.safetensors"]
    back = client.download_artifacts(info.run_id, "model", str(tmp_path / "back"))
    assert (Path(back) / "model.safetensors").read_bytes() == model.read_bytes()
    assert _staged(server[2]) == []


def test_an_aborted_or_incomplete_multipart_upload_stores_nothing(
    server: tuple[str, str, Path], run: Any, multipart: None, tmp_path: Path
) -> None:
    from mlflow.entities.multipart_upload import MultipartUploadPart
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

    client, info = run
    old = _file(tmp_path, "ckpt.bin", 1000)  # under the minimum: one plain PUT
    client.log_artifact(info.run_id, str(old))
    repo = HttpArtifactRepository(
        f"{server[0]}/api/2.0/mlflow-artifacts/artifacts/"
        f"{info.experiment_id}/{info.run_id}/artifacts"
    )
    (tmp_path / "new").mkdir()
    new = _file(tmp_path / "new", "ckpt.bin", 2 * MIB)

    upload = repo.create_multipart_upload(str(new), num_parts=2)
    part = repo._upload_part(upload.credentials[0], str(new), MIB, 0)
    with pytest.raises(Exception, match="must be 1 to 2"):
        repo.complete_multipart_upload(str(new), upload.upload_id, [part])
    never_sent = MultipartUploadPart(part_number=2, etag="", url="")
    with pytest.raises(Exception, match="never received"):
        repo.complete_multipart_upload(str(new), upload.upload_id, [part, never_sent])
    repo.abort_multipart_upload(str(new), upload.upload_id)
    with pytest.raises(Exception, match=r"404|no such multipart upload"):
        repo._upload_part(upload.credentials[1], str(new), MIB, MIB)

    back = client.download_artifacts(info.run_id, "ckpt.bin", str(tmp_path / "back"))
    assert Path(back).read_bytes() == old.read_bytes()
    assert _staged(server[2]) == []


def _mpu_routes(server: tuple[str, str, Path], run: Any) -> tuple[str, str, dict[str, str]]:
    """The multipart routes' base URL, the run's artifact folder, and the writer's header."""
    _, info = run
    url, token, _ = server
    folder = f"{info.experiment_id}/{info.run_id}/artifacts"
    return f"{url}/api/2.0/mlflow-artifacts/mpu", folder, {"Authorization": f"Bearer {token}"}


def test_bad_multipart_requests_are_refused_with_a_reason(
    server: tuple[str, str, Path], run: Any
) -> None:
    base, folder, auth = _mpu_routes(server, run)
    root = server[2]

    too_many = httpx.post(
        f"{base}/create/{folder}", json={"path": "/tmp/x.bin", "num_parts": 10_001}, headers=auth
    )
    assert too_many.status_code == 400
    assert "num_parts must be between 0 and 10000" in too_many.json()["message"]

    unknown = httpx.put(f"{base}/parts/not-an-upload/1", content=b"data")
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    created = httpx.post(
        f"{base}/create/{folder}",
        json={"path": r"C:\data\x.bin", "num_parts": 1},  # a Windows client's file
        headers=auth,
    ).json()
    assert created["credentials"][0]["url"].startswith(f"{base}/parts/")
    out_of_range = httpx.put(created["credentials"][0]["url"][:-1] + "2", content=b"data")
    assert out_of_range.status_code == 400
    assert "part number must be between 1 and 1" in out_of_range.json()["message"]
    elsewhere = httpx.post(
        f"{base}/complete/{folder}",
        json={"path": "other.bin", "upload_id": created["upload_id"], "parts": []},
        headers=auth,
    )
    assert elsewhere.status_code == 400
    assert "is not one of" in elsewhere.json()["message"]
    httpx.post(
        f"{base}/abort/{folder}",
        json={"path": "x.bin", "upload_id": created["upload_id"]},
        headers=auth,
    ).raise_for_status()
    assert _staged(root) == []


def test_the_parts_of_an_upload_together_stay_under_the_artifact_limit(
    server: tuple[str, str, Path], run: Any
) -> None:
    base, folder, auth = _mpu_routes(server, run)
    root = server[2]
    created = httpx.post(
        f"{base}/create/{folder}", json={"path": "big.bin", "num_parts": 3}, headers=auth
    ).json()
    first, second, _ = (c["url"] for c in created["credentials"])
    five = os.urandom(5 * MIB)  # the server takes 8 MiB per artifact
    assert httpx.put(first, content=five, timeout=60).status_code == 200
    over = httpx.put(second, content=five, timeout=60)
    assert over.status_code == 400
    assert "limit of 8388608 bytes per artifact" in over.json()["message"]
    assert sorted(p.name for p in _staged(root)) == ["part-1", "upload.json"]  # 2 not kept
    assert httpx.put(first, content=five, timeout=60).status_code == 200  # a resent part
    httpx.post(
        f"{base}/abort/{folder}",
        json={"path": "big.bin", "upload_id": created["upload_id"]},
        headers=auth,
    ).raise_for_status()
    assert _staged(root) == []


def test_uploads_left_unfinished_expire_when_the_server_starts(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    server = ServerProcess(
        f"sqlite:///{tmp_path}/tracklog.db",
        tmp_path / "artifacts",
        extra=["--multipart-upload-expiry", "3600"],
    ).start()
    try:
        client = MlflowClient(server.url)
        info = client.create_run(client.create_experiment("expiry")).info
        base = f"{server.url}/api/2.0/mlflow-artifacts/mpu"
        folder = f"{info.experiment_id}/{info.run_id}/artifacts"
        uploads = {}
        for name in ("forgotten.bin", "recent.bin"):
            created = httpx.post(f"{base}/create/{folder}", json={"path": name, "num_parts": 2})
            uploads[name] = created.json()
            httpx.put(uploads[name]["credentials"][0]["url"], content=b"a").raise_for_status()
        staging = tmp_path / "artifacts" / ".tracklog-staging" / "mpu"
        assert len(list(staging.iterdir())) == 2
        server.kill()
        # The client that started "forgotten.bin" went away two hours ago.
        forgotten_url = uploads["forgotten.bin"]["credentials"][1]["url"]
        two_hours_ago = time.time() - 7200
        forgotten = _upload_folder(staging, "forgotten.bin")
        for path in forgotten.iterdir():
            os.utime(path, (two_hours_ago, two_hours_ago))
        server.start()
        assert not forgotten.exists()
        assert httpx.put(forgotten_url, content=b"b").status_code == 404
        recent = uploads["recent.bin"]
        httpx.put(recent["credentials"][1]["url"], content=b"b").raise_for_status()
        parts = [{"part_number": n, "etag": ""} for n in (1, 2)]
        done = httpx.post(
            f"{base}/complete/{folder}",
            json={"path": "recent.bin", "upload_id": recent["upload_id"], "parts": parts},
        )
        assert done.status_code == 200, done.text
        assert [f.path for f in client.list_artifacts(info.run_id)] == ["recent.bin"]
        assert list(staging.iterdir()) == []
    finally:
        server.stop()


def test_a_bad_upload_expiry_is_refused() -> None:
    from click.testing import CliRunner

    from tracklog.cli.main import cli

    refused = CliRunner().invoke(cli, ["server", "--multipart-upload-expiry", "0"])
    assert refused.exit_code == 2 and "--multipart-upload-expiry" in refused.output


def _upload_folder(staging: Path, name: str) -> Path:
    """The folder where the server stages the parts of the upload of file ``name``."""
    (found,) = (
        f for f in staging.iterdir() if (f / "upload.json").read_text().find(f"/{name}") > 0
    )
    return found
