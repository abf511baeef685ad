"""A server whose disk fills up answers 503 (MLflow's TEMPORARILY_UNAVAILABLE on MLflow's
routes, STORE_UNAVAILABLE on the native ones), not a 500 the client cannot tell from a bug;
once space returns the same requests succeed and nothing stored before is lost.

The store lives on a real, small tmpfs mounted for the test (root only), filled with a file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server_process import ServerProcess

M = "/api/2.0/mlflow"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs at ``tmp_path/disk``."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it (remove it to free the space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 65536):
            pass
    except OSError:
        pass  # full
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_is_a_503_and_nothing_stored_is_lost(small_disk: Path) -> None:
    server = ServerProcess(f"sqlite:///{small_disk}/tracklog.db", small_disk / "artifacts")
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as api:
            exp = api.post(f"{M}/experiments/create", json={"name": "e"}).json()["experiment_id"]
            run = api.post(f"{M}/runs/create", json={"experiment_id": exp}).json()
            run_id = run["run"]["info"]["run_id"]
            first = {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}
            assert api.post(f"{M}/runs/log-metric", json=first).status_code == 200
            native = api.post("/api/v1/runs", json={"project": "p"}).json()["id"]
            big = b"x" * (2 * 1024 * 1024)
            params = [{"key": f"p{i}", "value": "v" * 6000} for i in range(100)]
            tags = {f"t{i}": "v" * 7000 for i in range(300)}
            artifact = f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run_id}/artifacts/big.bin"

            def writes() -> list[tuple[httpx.Response, bool]]:
                """Each write that needs space, and whether it is an MLflow route."""
                return [
                    (
                        api.post(f"{M}/runs/log-batch", json={"run_id": run_id, "params": params}),
                        True,
                    ),
                    (api.put(artifact, content=big), True),
                    (api.post(f"/api/v1/runs/{native}/tags", json={"tags": tags}), False),
                    (api.put(f"/api/v1/runs/{native}/artifacts/big.bin", content=big), False),
                ]

            filler = fill(small_disk)
            for response, mlflow in writes():
                assert response.status_code == 503, response.text
                body = response.json()
                if mlflow:
                    assert body["error_code"] == "TEMPORARILY_UNAVAILABLE", body
                else:
                    assert body["error"] == "STORE_UNAVAILABLE", body
                assert "full" in body["message"] or "space" in body["message"], body
            filler.unlink()
            for response, _ in writes():
                assert response.status_code in (200, 201, 204), response.text
            got = api.get(f"{M}/runs/get", params={"run_id": run_id}).json()["run"]["data"]
            assert got["metrics"][0]["value"] == 0.5 and len(got["params"]) == 100
            assert api.get(artifact).content == big
            assert len(api.get(f"/api/v1/runs/{native}").json()["tags"]) == 300
    finally:
        server.stop()
    log = server.output()
    assert "Traceback" not in log, log  # an expected state of the disk, not a bug
    with sqlite3.connect(small_disk / "tracklog.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
