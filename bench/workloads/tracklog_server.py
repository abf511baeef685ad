"""Helpers of the tracklog server workloads (W4-W6): start ``tracklog server``, talk to it."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from servers import Server

from tracklog.store.records import SeriesPoints
from tracklog.store.wire import MEDIA_TYPE, encode_record

# The console script's code, run by this interpreter so that PYTHONPATH=src (the working tree)
# is what serves.
_CLI = "import sys; sys.argv[0] = 'tracklog'; from tracklog.cli.main import main; main()"


def tracklog_server(workdir: Path, workers: int, *options: str) -> Server:
    """``tracklog server`` on a free loopback port with a SQLite store in ``workdir/store``,
    with more ``options`` if given."""
    db = workdir / "store" / "server.db"
    cmd = [sys.executable, "-c", _CLI, "server", "--backend-store-uri", f"sqlite:///{db}"]
    cmd += ["--host", "127.0.0.1", "--port", "{port}", "--workers", str(workers), *options]
    return Server(cmd, workdir / "server.log", workdir)


def stored_points(client: httpx.Client, run_id: str) -> int:
    """Points the server holds for a run (sum of its series' counts)."""
    r = client.get(f"/api/v1/runs/{run_id}/series")
    r.raise_for_status()
    return sum(s["count"] for s in r.json()["series"])


def wait_stored(
    client: httpx.Client, run_ids: list[str], expected: int, timeout_s: float = 120.0
) -> tuple[int, float | None]:
    """Poll until the runs hold ``expected`` points in all (or the timeout passes).

    Returns (points stored, time.time() when they were first seen complete), with None for the
    time when they were complete at the first poll already (nothing was left to wait for) or
    never. Polls every 20 ms, so a time is late by at most that plus one round of requests.
    """
    deadline = time.monotonic() + timeout_s
    first = True
    while True:
        n = sum(stored_points(client, rid) for rid in run_ids)
        if n >= expected:
            return n, None if first else time.time()
        if time.monotonic() > deadline:
            return n, None
        first = False
        time.sleep(0.02)


def create_run(client: httpx.Client, project: str, name: str, run_id: str | None = None) -> str:
    """Create a run through ``POST /api/v1/runs``; return its id."""
    body = {"project": project, "name": name, "run_id": run_id}
    r = client.post("/api/v1/runs", json=body)
    r.raise_for_status()
    return r.json()["id"]


def metrics_record(
    run_id: str, keys: list[str], steps: np.ndarray, values: np.ndarray, t_ms: int
) -> bytes:
    """One framed ``append_metrics`` record (journal format) with a fresh batch id.

    ``values`` has one column per key; every series gets the same steps and timestamp.
    """
    times = np.full(len(steps), t_ms, np.int64)
    batch = [SeriesPoints(k, "", steps, values[:, j], times) for j, k in enumerate(keys)]
    return encode_record(
        "append_metrics", {"run_id": run_id, "batch": batch, "batch_id": uuid.uuid4().hex}
    )


def ingest(client: httpx.Client, body: bytes) -> httpx.Response:
    """``POST /api/v1/ingest`` of framed records."""
    return client.post("/api/v1/ingest", content=body, headers={"content-type": MEDIA_TYPE})


def server_info(srv: Server) -> dict[str, Any]:
    """Memory of the server's process tree (RSS, PSS, summed peaks) and its process count."""
    return srv.memory()


def server_errors(srv: Server) -> int:
    """Error lines (tracebacks, ERROR log records) in the server's output so far."""
    text = srv.log_path.read_text(errors="replace")
    return sum(1 for line in text.splitlines() if line.startswith(("Traceback", "ERROR")))
