"""W4 and W6 on ``mlflow server`` (SQLite backend store, default settings, loopback only).

The server is started by the workload on a free 127.0.0.1 port with
``mlflow server --backend-store-uri sqlite:///<workdir>/store/mlflow.db`` and its default
worker count, and stopped (whole process tree) at the end. Modes:

- ``w4_log_metrics``: W1 through the server with ``mlflow.log_metrics(d, step=i)`` per step.
- ``w4_log_batch``: W1 through the server with ``MlflowClient().log_batch``, rows buffered
  client-side into calls of 1,000 metrics.
- ``w6``: one series of ``--points`` points written with ``log_batch`` (1,000 per call, setup),
  then the UI's sampled read ``GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval``
  with ``max_results=1000`` (p50 of ``--requests``) and the full history with
  ``MlflowClient().get_metric_history`` and as plain JSON from ``GET
  /api/2.0/mlflow/metrics/get-history`` (medians of 3).

MLflow's calls return once the server has stored the data, so no wait follows ``end_run``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import common
import mlflow
import numpy as np
import requests
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
from peer_mlflow_w1 import BatchLogger
from servers import Server, exit_on_sigterm

KEY = "loss"


def mlflow_server(args: argparse.Namespace) -> Server:
    """``mlflow server`` with a SQLite store in the work dir (default workers)."""
    exe = str(Path(sys.executable).with_name("mlflow"))
    cmd = [exe, "server", "--backend-store-uri", f"sqlite:///{args.store / 'mlflow.db'}"]
    cmd += ["--default-artifact-root", str(args.store / "art"), "--host", "127.0.0.1"]
    cmd += ["--port", "{port}"]
    return Server(cmd, args.workdir / "server.log", args.workdir)


def server_info(srv: Server) -> dict[str, Any]:
    """Memory of the whole server process tree (uvicorn workers, job runner, huey consumers)."""
    return srv.memory()


def w4(args: argparse.Namespace, srv: Server) -> dict[str, Any]:
    """W1's loop through the server; the stored points are counted afterwards (untimed)."""
    names, rows = common.w1_data(args.steps, args.keys)
    base_s = common.baseline_loop(names, rows)
    rss_before = common.rss_now_mb()

    def start() -> tuple[Any, Any, str]:
        mlflow.set_tracking_uri(srv.url)
        exp = mlflow.create_experiment("bench")
        run_id = mlflow.start_run(experiment_id=exp, run_name="w4").info.run_id
        if args.mode == "w4_log_batch":
            batch = BatchLogger(MlflowClient(), run_id)
            return batch, lambda: (batch.flush(), mlflow.end_run()), run_id
        return mlflow.log_metrics, mlflow.end_run, run_id

    (log, finish, run_id), init_s = common.timed(start)
    loop_s = common.log_loop(log, names, rows)
    _, finish_s = common.timed(finish)
    client = MlflowClient(srv.url)
    stored = sum(len(client.get_metric_history(run_id, k)) for k in names)
    result = common.w1_result(args, base_s, loop_s, finish_s, init_s, rss_before, 0.0)
    points = args.steps * args.keys
    result.update(
        {
            "stored_points": stored,
            "stored_ok": stored == points,
            "drain_s": 0.0,
            "server_startup_s": srv.startup_s,
            "server_errors": 0,
        }
    )
    return result


def w6(args: argparse.Namespace, srv: Server) -> dict[str, Any]:
    """Write one series with log_batch, then time the sampled and the full reads."""
    n = args.points
    mlflow.set_tracking_uri(srv.url)
    client = MlflowClient(srv.url)
    exp = client.create_experiment("w6")
    run_id = client.create_run(exp, run_name="w6").info.run_id
    values = np.cumsum(np.random.default_rng(6).standard_normal(n)).tolist()
    t0 = time.perf_counter()
    ts = int(time.time() * 1000)
    for lo in range(0, n, 1000):
        batch = [Metric(KEY, values[i], ts, i) for i in range(lo, min(lo + 1000, n))]
        client.log_batch(run_id, metrics=batch)
    write_s = time.perf_counter() - t0
    client.set_terminated(run_id)
    session = requests.Session()
    url = srv.url + "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    query = {"run_ids": run_id, "metric_key": KEY, "max_results": 1000}

    def sampled() -> int:
        r = session.get(url, params=query, timeout=120)
        r.raise_for_status()
        return len(r.json().get("metrics", []))

    def full() -> int:
        return len(MlflowClient(srv.url).get_metric_history(run_id, KEY))

    def full_json() -> int:
        query = {"run_id": run_id, "metric_key": KEY}
        r = session.get(srv.url + "/api/2.0/mlflow/metrics/get-history", params=query, timeout=120)
        r.raise_for_status()
        return len(r.json()["metrics"])

    n_sampled, sampled_cold = common.timed(sampled)
    sampled_t = [common.timed(sampled)[1] for _ in range(max(args.requests, 20))]
    n_full, full_cold = common.timed(full)
    full_t = [common.timed(full)[1] for _ in range(3)]
    n_json = full_json()
    json_t = [common.timed(full_json)[1] for _ in range(3)]
    return {
        "small_points": n,
        "write_s": write_s,
        "write_points_per_s": n / write_s,
        "small_sampled_points": n_sampled,
        "small_sampled_cold_ms": sampled_cold * 1e3,
        "small_sampled_p50_ms": statistics.median(sampled_t) * 1e3,
        "small_full_s": statistics.median(full_t),
        "small_full_cold_s": full_cold,
        "small_full_json_s": statistics.median(json_t),
        "read_ok": n_full == n_json == n and 0 < n_sampled <= 1000,
        "server_startup_s": srv.startup_s,
    }


def main() -> None:
    """Start the server, run the mode, measure the server's memory, stop it."""
    exit_on_sigterm()
    args = common.parse_args()
    with mlflow_server(args) as srv:
        result = w6(args, srv) if args.mode == "w6" else w4(args, srv)
        result.update(server_info(srv))
    common.emit(result)


if __name__ == "__main__":
    main()
