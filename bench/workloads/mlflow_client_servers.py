"""W7: the same mlflow-client workload against ``mlflow server`` and ``tracklog server``.

``--server mlflow`` starts ``mlflow server --backend-store-uri sqlite:///…`` (default
settings), ``--server tracklog`` starts ``tracklog server --workers 1`` on SQLite; both on a free
loopback port, stopped at the end. The client is mlflow 3.17.2 in both cases. Phases, each
timed on the client:

- ingest, synchronous: ``mlflow.log_metrics(d, step=i)`` of ``--keys`` floats for ``--steps``
  steps, then ``end_run()``;
- ingest, ``synchronous=False``: the same for ``--async-steps`` steps (MLflow queues the rows
  and sends them with ``log_batch`` from a thread); ``end_run()`` waits until all are sent;
- search: ``--runs`` runs, each made with ``create_run`` plus one ``log_batch`` of W2's 20
  params, 5 tags and 5 metrics × ``--run-steps`` steps (setup, reported as runs/s), then
  ``MlflowClient().search_runs`` with ``metrics.acc > 0.5``, ``order_by=metrics.acc DESC`` and
  ``max_results=1000``, ``lr < 0.01`` applied to the returned runs in Python (MLflow compares
  params as strings): first call, then the median of ``--queries`` more, with the client's
  CPU per call and the server's (its whole process tree) per request. Then the client's
  floor: the server's answer, recorded, is served from memory by ``replay_server.py`` (no
  server work) and the same ``search_runs`` is timed against it, alternating with the calls
  to the real server.

Each ingest phase is then run again against the client's floor: a server that answers at
once (``replay_server.py``: the run's ``runs/get`` and ``runs/update`` answers recorded from
the real server, ``log-batch`` answered with MLflow's empty answer), so the same client loop
and ``end_run()`` are timed with no server work at all. The stored points of each ingest run
are counted with ``get_metric_history`` (untimed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
import mlflow
import requests
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient
from servers import Server, exit_on_sigterm, tree_cpu_s


def start_server(args: argparse.Namespace) -> Server:
    if args.server == "mlflow":
        from peer_mlflow_server import mlflow_server

        return mlflow_server(args)
    from tracklog_server import tracklog_server  # imports tracklog: the dev venv only

    return tracklog_server(args.workdir, workers=1)


API = "/api/2.0/mlflow"
SEARCH_PATH = f"{API}/runs/search"


def ingest(
    srv: Server, names: list[str], rows: list[list[float]], sync: bool, workdir: Path
) -> dict[str, Any]:
    """One run of W1's loop through ``mlflow.log_metrics``; µs per call and points/s, and
    points/s of the same loop against the server's answers replayed at once (the floor)."""
    mlflow.set_tracking_uri(srv.url)
    exp = mlflow.create_experiment(f"ingest-{'sync' if sync else 'async'}")
    run_id = mlflow.start_run(experiment_id=exp).info.run_id
    base = common.baseline_loop(names, rows)

    def log(d: dict[str, float], step: int) -> None:
        mlflow.log_metrics(d, step=step, synchronous=sync)

    def logged_run() -> tuple[float, float]:
        loop_s = common.log_loop(log, names, rows)
        _, end_s = common.timed(mlflow.end_run)
        return loop_s, end_s

    loop_s, end_s = logged_run()
    points = len(rows) * len(names)
    client = MlflowClient(srv.url)
    stored = sum(len(client.get_metric_history(run_id, k)) for k in names)
    with replay_server(workdir, run_answers(srv.url, run_id)) as replay:
        mlflow.set_tracking_uri(replay.url)
        mlflow.start_run(run_id=run_id)
        floor_loop_s, floor_end_s = logged_run()
    mlflow.set_tracking_uri(srv.url)
    prefix = "sync" if sync else "async"
    return {
        f"{prefix}_us_per_call": (loop_s - base) / len(rows) * 1e6,
        f"{prefix}_end_s": end_s,
        f"{prefix}_points_per_s": points / (loop_s + end_s),
        f"{prefix}_floor_points_per_s": points / (floor_loop_s + floor_end_s),
        f"{prefix}_points": points,
        f"{prefix}_stored_points": stored,
    }


def run_answers(url: str, run_id: str) -> dict[str, bytes]:
    """What resuming, logging to and ending the (finished) run asks of ``url``, answered by it:
    ``runs/get`` and ``runs/update`` recorded, ``log-batch`` MLflow's empty answer."""
    got = requests.get(f"{url}{API}/runs/get", params={"run_id": run_id}, timeout=60)
    ended = requests.post(
        f"{url}{API}/runs/update", json={"run_id": run_id, "status": "FINISHED"}, timeout=60
    )
    for r in (got, ended):
        r.raise_for_status()
    return {
        f"{API}/runs/get": got.content,
        f"{API}/runs/update": ended.content,
        f"{API}/runs/log-batch": b"{}",
    }


def search_query(url: str, exp: str) -> Callable[[], int]:
    """W7's ``search_runs`` call through a client of ``url``; it returns the matches."""
    client = MlflowClient(url)

    def query() -> int:
        found = client.search_runs(
            [exp], "metrics.acc > 0.5", order_by=["metrics.acc DESC"], max_results=1000
        )
        return sum(1 for r in found if float(r.data.params["lr"]) < 0.01)

    return query


def recorded_answer(url: str, exp: str) -> bytes:
    """The server's answer to the request ``search_runs`` sends, as bytes."""
    body = {
        "experiment_ids": [exp],
        "filter": "metrics.acc > 0.5",
        "run_view_type": "ACTIVE_ONLY",
        "max_results": 1000,
        "order_by": ["metrics.acc DESC"],
    }
    r = requests.post(url + SEARCH_PATH, json=body, timeout=60)
    r.raise_for_status()
    return r.content


def replay_server(workdir: Path, answers: dict[str, bytes]) -> Server:
    """A server answering each path of ``answers`` with its bytes from memory
    (replay_server.py)."""
    script = Path(__file__).with_name("replay_server.py")
    cmd = [sys.executable, str(script), "--port", "{port}"]
    for i, (path, answer) in enumerate(answers.items()):
        file = workdir / f"answer{i}.json"
        file.write_bytes(answer)
        cmd += ["--route", path, str(file)]
    return Server(cmd, workdir / "replay.log", workdir)


def cpu_timed(fn: Callable[[], int]) -> tuple[int, float, float]:
    """(result, wall seconds, this process's CPU seconds) of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def search(srv: Server, args: argparse.Namespace) -> dict[str, Any]:
    """Create ``--runs`` W2 runs, then time the query against the server and against the
    same answer replayed from memory (the client's floor), the calls alternating."""
    client = MlflowClient(srv.url)
    exp = client.create_experiment("w2")
    specs = list(common.w2_runs(args.runs, args.run_steps))
    t0 = time.perf_counter()
    for spec in specs:
        run = client.create_run(exp, run_name=spec["name"])
        ts = int(time.time() * 1000)
        metrics = [
            Metric(k, v, ts, step) for step, row in enumerate(spec["rows"]) for k, v in row.items()
        ]
        params = [Param(k, str(v)) for k, v in spec["params"].items()]
        tags = [RunTag(t, "1") for t in spec["tags"]]
        client.log_batch(run.info.run_id, metrics=metrics, params=params, tags=tags)
    create_s = time.perf_counter() - t0

    live = search_query(srv.url, exp)
    matches, first_s, _ = cpu_timed(live)
    answer = recorded_answer(srv.url, exp)
    with replay_server(args.workdir, {SEARCH_PATH: answer}) as replay:
        floor = search_query(replay.url, exp)
        floor_matches, _, _ = cpu_timed(floor)  # opens the connection
        if floor_matches != matches:
            raise RuntimeError(f"replayed answer: {floor_matches} matches, live {matches}")
        times: dict[str, list[tuple[int, float, float]]] = {"live": [], "floor": []}
        server_cpu0 = tree_cpu_s(srv.proc.pid)  # type: ignore[union-attr]
        for _ in range(args.queries):
            times["live"].append(cpu_timed(live))
            times["floor"].append(cpu_timed(floor))
        server_cpu = tree_cpu_s(srv.proc.pid) - server_cpu0  # type: ignore[union-attr]

    def median(which: str, i: int) -> float:
        return statistics.median(t[i] for t in times[which])

    return {
        "runs": args.runs,
        "create_runs_per_s": args.runs / create_s,
        "query_first_s": first_s,
        "query_s": median("live", 1),
        "query_client_cpu_ms": median("live", 2) * 1e3,
        "query_server_cpu_ms": server_cpu / args.queries * 1e3,
        "answer_kb": len(answer) / 1e3,
        "floor_query_s": median("floor", 1),
        "floor_client_cpu_ms": median("floor", 2) * 1e3,
        "query_above_floor_s": median("live", 1) - median("floor", 1),
        "matches": matches,
        "expected_matches": common.w2_expected(args.runs, args.run_steps),
    }


def main() -> None:
    exit_on_sigterm()
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--server", choices=("mlflow", "tracklog"), required=True)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--async-steps", type=int, default=500)
    p.add_argument("--keys", type=int, default=20)
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--run-steps", type=int, default=20)
    # 9: mlflow server's 4 workers each pay a first search of their own (up to seconds), and
    # the median must not be one of those.
    p.add_argument("--queries", type=int, default=9)
    args = p.parse_args()
    args.store = args.workdir / "store"
    args.store.mkdir(parents=True, exist_ok=True)
    names, rows = common.w1_data(max(args.steps, args.async_steps), args.keys)
    with start_server(args) as srv:
        result: dict[str, Any] = {"server_startup_s": srv.startup_s}
        result.update(ingest(srv, names, rows[: args.steps], True, args.workdir))
        result.update(ingest(srv, names, rows[: args.async_steps], False, args.workdir))
        result.update(search(srv, args))
    # Both ingest phases together, for the report's "points stored / logged" row.
    result["points"] = result["sync_points"] + result["async_points"]
    result["stored_points"] = result["sync_stored_points"] + result["async_stored_points"]
    common.emit(result)


if __name__ == "__main__":
    main()
