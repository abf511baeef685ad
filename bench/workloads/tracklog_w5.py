"""W5 concurrency: 16 client processes logging 100,000 points each to one ``tracklog server``.

The server runs with ``--workers`` (4) on a SQLite store in the work dir. Every client process
starts, prepares its data and reports ready; then all are released at once. Two modes:

- ``sdk``: each client runs ``tracklog.init`` → ``run.log(d, step=i)`` (10 floats per step) →
  ``run.finish()`` against ``TRACKLOG_URI=http://127.0.0.1:PORT``.
- ``replay``: each client is a load generator that creates its run with ``POST /api/v1/runs``
  and posts pre-encoded journal-format ``append_metrics`` records (``--batch-steps`` steps × 10
  series per request) to ``POST /api/v1/ingest`` with httpx, timing every request; then
  ``POST .../finish``. The SDK does not expose its requests' timings, so the latency
  percentiles come from this mode.

Total points/s = all points / (time from the release to the moment every point is stored, as
seen by polling the server's series counts). Errors = failed client processes + error lines
on client stderr + failed requests (replay) + error lines in the server's log. Where the time
goes: each SDK client's ``init()`` and ``finish()`` times, the CPU the clients used after the
release (their own processes, not git's) and the CPU of the server's processes meanwhile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import common
import httpx
import numpy as np
from servers import exit_on_sigterm, tree_cpu_s
from tracklog_server import (
    create_run,
    ingest,
    metrics_record,
    server_errors,
    server_info,
    tracklog_server,
    wait_stored,
)

READY, GO = "READY", "GO"
CLIENT_TIMEOUT_S = 420


def wait_for_go() -> float:
    """Tell the parent this client is ready; block until it says go; return the time."""
    print(READY, flush=True)
    if sys.stdin.readline().strip() != GO:
        raise SystemExit("no go")
    return time.time()


def client_sdk(args: argparse.Namespace) -> dict[str, Any]:
    """One SDK client: init, one log() of ``--keys`` floats per step, finish."""
    import tracklog

    names, rows = common.w1_data(args.steps, args.keys, seed=args.client)
    t_start = wait_for_go()
    cpu0 = time.process_time()
    run = tracklog.init(project="w5", name=f"client-{args.client}")
    init_s = time.time() - t_start
    loop_s = common.log_loop(run.log, names, rows)
    t_finish = time.time()
    run.finish()
    t_end = time.time()
    return {
        "t_start": t_start,
        "t_end": t_end,
        "run_id": str(run.id),
        "init_s": init_s,
        "loop_s": loop_s,
        "finish_s": t_end - t_finish,
        "cpu_s": time.process_time() - cpu0,
    }


def client_replay(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """One load generator: create the run, post pre-encoded ingest records, finish."""
    names = [f"k{j}" for j in range(args.keys)]
    values = np.random.default_rng(args.client).standard_normal((args.steps, args.keys))
    run_id = uuid.uuid4().hex
    t_ms = int(time.time() * 1000)
    bodies = [
        metrics_record(run_id, names, np.arange(lo, hi), values[lo:hi], t_ms)
        for lo, hi in _chunks(args.steps, args.batch_steps)
    ]
    latencies, failed, reasons = [], 0, []
    with httpx.Client(base_url=url, timeout=120) as client:
        t_start = wait_for_go()
        cpu0 = time.process_time()
        create_run(client, "w5", f"replay-{args.client}", run_id)
        for body in bodies:
            t0 = time.perf_counter()
            try:
                resp = ingest(client, body)
                ok = resp.status_code == 200
                reason = f"HTTP {resp.status_code}: {resp.text[:200]}"
            except httpx.HTTPError as exc:
                ok, reason = False, repr(exc)
            latencies.append(time.perf_counter() - t0)
            if not ok:
                failed += 1
                reasons.append(reason)
        client.post(f"/api/v1/runs/{run_id}/finish", json={"status": "FINISHED"})
    return {
        "t_start": t_start,
        "t_end": time.time(),
        "run_id": run_id,
        "cpu_s": time.process_time() - cpu0,
        "latencies": latencies,
        "failed_requests": failed,
        "reasons": reasons[:3],
    }


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _median(results: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in results if key in r]
    return statistics.median(values) if values else None


def stderr_errors(text: str) -> int:
    """Lines of a client's stderr that report a problem (tracklog warnings, tracebacks)."""
    return sum(1 for line in text.splitlines() if "tracklog:" in line or "Traceback" in line)


def main() -> None:
    """Start the server and the clients, release them together, wait until all is stored."""
    exit_on_sigterm()
    args = common.parse_args()
    if args.client >= 0:
        if args.mode == "replay":
            common.emit(client_replay(args, os.environ["TRACKLOG_URI"]))
        else:
            common.emit(client_sdk(args))
        return
    per_client = args.steps * args.keys
    total = per_client * args.clients
    logs = args.workdir / "clients"
    logs.mkdir(exist_ok=True)
    with tracklog_server(args.workdir, args.workers) as srv:
        env = dict(os.environ, TRACKLOG_URI=srv.url)
        procs = []
        try:
            for i in range(args.clients):
                cmd = [sys.executable, os.path.abspath(__file__), "--workdir", str(args.workdir)]
                cmd += ["--client", str(i), "--mode", args.mode, "--steps", str(args.steps)]
                cmd += ["--keys", str(args.keys), "--batch-steps", str(args.batch_steps)]
                with open(logs / f"client-{i}.err", "w") as err:
                    procs.append(
                        subprocess.Popen(
                            cmd,
                            stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE,
                            stderr=err,
                            text=True,
                            env=env,
                            cwd=args.workdir,
                        )
                    )
            for i, p in enumerate(procs):
                if p.stdout.readline().strip() != READY:  # type: ignore[union-attr]
                    p.wait()
                    tail = (logs / f"client-{i}.err").read_text()[-3000:]
                    raise RuntimeError(f"client {i} did not start (rc={p.returncode}):\n{tail}")
            cpu_go = tree_cpu_s(srv.proc.pid)  # type: ignore[union-attr]
            t_go = time.time()
            for p in procs:
                p.stdin.write(GO + "\n")  # type: ignore[union-attr]
                p.stdin.flush()  # type: ignore[union-attr]
            outs = [p.communicate(timeout=CLIENT_TIMEOUT_S)[0] for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        results, failed_clients = [], 0
        for i, (p, out) in enumerate(zip(procs, outs, strict=True)):
            res = common.parse_result(out)
            if p.returncode != 0 or res is None:
                failed_clients += 1
                print(f"client {i} failed (rc={p.returncode})", file=sys.stderr)
                print((logs / f"client-{i}.err").read_text()[-2000:], file=sys.stderr)
            else:
                results.append(res)
        client_err = sum(
            stderr_errors((logs / f"client-{i}.err").read_text()) for i in range(args.clients)
        )
        t_last = max((r["t_end"] for r in results), default=time.time())
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            stored, t_stored = wait_stored(client, [r["run_id"] for r in results], total)
        info = server_info(srv)
        server_cpu_s = tree_cpu_s(srv.proc.pid) - cpu_go  # type: ignore[union-attr]
        srv_err = server_errors(srv)
    t_first = min((r["t_start"] for r in results), default=t_go)
    total_s = max(t_last, t_stored or 0.0) - t_first
    failed_requests = sum(r.get("failed_requests", 0) for r in results)
    out: dict[str, Any] = {
        "clients": args.clients,
        "points_per_client": per_client,
        "points": total,
        "workers": args.workers,
        "total_s": total_s,
        "points_per_s": stored / total_s,
        "stored_points": stored,
        "missing_points": total - stored,
        "failed_clients": failed_clients,
        "client_error_lines": client_err,
        "failed_requests": failed_requests,
        "server_error_lines": srv_err,
        "errors": failed_clients + client_err + failed_requests + srv_err,
        "release_spread_s": t_first - t_go,
        "client_s_median": statistics.median([r["t_end"] - r["t_start"] for r in results])
        if results
        else None,
        "client_init_s_median": _median(results, "init_s"),
        "client_finish_s_median": _median(results, "finish_s"),
        "client_cpu_s_total": sum(r.get("cpu_s", 0.0) for r in results),
        "server_cpu_s": server_cpu_s,
        **info,
    }
    lat = [x for r in results for x in r.get("latencies", [])]
    if lat:
        out.update(
            {
                "requests": len(lat),
                "points_per_request": args.batch_steps * args.keys,
                "lat_p50_ms": float(np.percentile(lat, 50)) * 1e3,
                "lat_p99_ms": float(np.percentile(lat, 99)) * 1e3,
                "lat_max_ms": max(lat) * 1e3,
            }
        )
        out["reasons"] = [x for r in results for x in r.get("reasons", [])][:5]
    common.emit(out)


if __name__ == "__main__":
    main()
