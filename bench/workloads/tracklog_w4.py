"""W4 server ingest: W1 (one log() of 20 floats per step) through a local ``tracklog server``.

The server (``--workers 1``, SQLite store in the work dir) runs on a free loopback port and the
run logs to it with ``TRACKLOG_URI=http://127.0.0.1:PORT``. After ``finish()`` returns, the
series counts are polled (``GET /api/v1/runs/{id}/series``) until every point is stored; the
points/s use the time until then. For the ratio, local-mode W1 (``tracklog_w1.py``, SQLite, no
read-back) runs first in a fresh process of the same repeat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common
import httpx
from servers import exit_on_sigterm
from tracklog_server import server_errors, server_info, tracklog_server, wait_stored

import tracklog


def local_w1(args: argparse.Namespace) -> dict[str, float]:
    """W1 on a local SQLite store in a fresh process (no read-back); its result line."""
    workdir = args.workdir / "local"
    (workdir / "store").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TRACKLOG_URI=f"sqlite:///{workdir / 'store' / 'tracklog.db'}")
    script = str(Path(__file__).with_name("tracklog_w1.py"))
    cmd = [sys.executable, script, "--workdir", str(workdir), "--no-read"]
    cmd += ["--steps", str(args.steps), "--keys", str(args.keys)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, env=env)
    res = common.parse_result(proc.stdout)
    if proc.returncode != 0 or res is None:
        raise RuntimeError(f"local W1 failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return res


PROBES = 5


def init_probes(args: argparse.Namespace, uri: str, prefix: str) -> dict[str, float]:
    """Medians of ``init_probe.py`` in fresh processes logging to ``uri``, keys ``prefix`` +
    ``init_s``, ``init_cpu_s``, ``init_rss_mb``; one untimed probe first (it creates a local
    store, or the project on a server), so each timed one opens what exists, as a sweep's
    trials do."""
    script = str(Path(__file__).with_name("init_probe.py"))
    env = dict(os.environ, TRACKLOG_URI=uri)
    results = []
    for _ in range(PROBES + 1):
        cmd = [sys.executable, script, "--workdir", str(args.workdir)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=args.workdir, env=env)
        res = common.parse_result(proc.stdout)
        if proc.returncode != 0 or res is None:
            raise RuntimeError(f"init probe failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
        results.append(res)
    return {prefix + k: statistics.median(r[k] for r in results[1:]) for k in results[0]}


def main() -> None:
    """Local W1 for reference, then W1 through the server until every point is stored."""
    exit_on_sigterm()
    args = common.parse_args()
    local = local_w1(args)
    probe_db = args.workdir / "probe" / "tracklog.db"
    probe_db.parent.mkdir()
    probes = init_probes(args, f"sqlite:///{probe_db}", "local_probe_")
    names, rows = common.w1_data(args.steps, args.keys)
    base_s = common.baseline_loop(names, rows)
    points = args.steps * args.keys
    with tracklog_server(args.workdir, args.workers) as srv:
        os.environ["TRACKLOG_URI"] = srv.url
        probes.update(init_probes(args, srv.url, "probe_"))
        rss_before = common.rss_now_mb()
        run, init_s = common.timed(tracklog.init, project="bench", name="w4")
        loop_s = common.log_loop(run.log, names, rows)
        _, finish_s = common.timed(run.finish)
        t_finished = time.time()
        # Peak RSS of the SDK's own helper processes, if any (the server is a child too).
        helper_mb = max(0.0, common.helpers_peak_rss_mb() - srv.memory()["server_peak_mb"])
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            stored, t_stored = wait_stored(client, [str(run.id)], points)
        info = server_info(srv)
        errors = server_errors(srv)
    result = common.w1_result(args, base_s, loop_s, finish_s, init_s, rss_before, helper_mb)
    drain_s = 0.0 if t_stored is None else max(0.0, t_stored - t_finished)
    result.update(info)
    result.update(probes)
    result.update(
        {
            "stored_points": stored,
            "stored_ok": stored == points,
            "drain_s": drain_s,
            "points_per_s": points / (loop_s + finish_s + drain_s),
            "server_startup_s": srv.startup_s,
            "server_errors": errors,
            "local_us_per_log": local["us_per_log"],
            "local_points_per_s": local["points_per_s"],
            "log_ratio": result["us_per_log"] / local["us_per_log"],
            "pps_ratio": local["points_per_s"] / (points / (loop_s + finish_s + drain_s)),
        }
    )
    common.emit(result)


if __name__ == "__main__":
    main()
