"""W6 read: one series of 1,000,000 points read back through ``tracklog server``.

Setup (timed separately, not part of the read numbers): ``tracklog server --workers 1`` on a
SQLite store in the work dir; a run created with ``POST /api/v1/runs``; the series ``loss``
(steps 0..N-1, a random walk) and ``loss_small`` (``--small-points``, the scale the MLflow
server case can write in reasonable time) written with ``POST /api/v1/ingest`` in
journal-format records of ``--batch-steps`` points. Then, from one keep-alive httpx client:

- downsampled: ``GET /api/v1/runs/{id}/series/loss?samples=1000``, ``--requests`` (≥ 20) times
  after one cold request reported on its own: p50 and p90;
- full resolution as raw arrays (``Accept: application/x-tracklog-series``, decoded with
  ``tracklog.store.wire.decode_series``): 5 times, median;
- full resolution as JSON (decoded with ``response.json()``): 3 times, median;
- full resolution through the SDK, ``tracklog.Api(URL).run(id).series(key)``, if the SDK can
  read from a server (else the error is recorded): 3 times, median;
- the same reads of ``loss_small`` for the side-by-side with MLflow.

Every response's point count is checked.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import common
import httpx
import numpy as np
from servers import exit_on_sigterm
from tracklog_server import create_run, ingest, metrics_record, server_info, tracklog_server

import tracklog
from tracklog.store.wire import SERIES_MEDIA_TYPE, decode_series

KEY, SMALL = "loss", "loss_small"


def write_series(client: httpx.Client, run_id: str, key: str, n: int, batch: int) -> None:
    """Ingest a random-walk series of ``n`` points in records of ``batch`` points."""
    values = np.cumsum(np.random.default_rng(6).standard_normal(n)).reshape(n, 1)
    t_ms = int(time.time() * 1000)
    for lo in range(0, n, batch):
        hi = min(lo + batch, n)
        r = ingest(client, metrics_record(run_id, [key], np.arange(lo, hi), values[lo:hi], t_ms))
        r.raise_for_status()


def timings(fn: Any, n: int) -> tuple[Any, float, list[float]]:
    """Call ``fn`` once cold, then ``n`` more times; (last result, cold s, list of s)."""
    out, cold = common.timed(fn)
    times = []
    for _ in range(n):
        out, t = common.timed(fn)
        times.append(t)
    return out, cold, times


class Reads:
    """The timed reads of one series through the server."""

    def __init__(self, client: httpx.Client, url: str, run_id: str, key: str) -> None:
        self.client, self.base, self.run_id, self.key = client, url, run_id, key
        self.path = f"/api/v1/runs/{run_id}/series/{key}"

    def sampled(self) -> int:
        r = self.client.get(self.path, params={"samples": 1000})
        r.raise_for_status()
        return len(r.json()["steps"])

    def full_raw(self) -> int:
        r = self.client.get(self.path, headers={"Accept": SERIES_MEDIA_TYPE})
        r.raise_for_status()
        return len(decode_series(r.content)[0])

    def full_json(self) -> int:
        r = self.client.get(self.path)
        r.raise_for_status()
        return len(r.json()["values"])

    def full_api(self) -> int:
        """Through the SDK: ``tracklog.Api(url).run(id).series(key)`` (a fresh Api each time)."""
        return len(tracklog.Api(self.base).run(self.run_id).series(self.key).values)


def api_timing(reads: Reads, n: int) -> dict[str, Any]:
    """Median of ``n`` SDK reads (after a cold one), or the error while the SDK cannot."""
    try:
        got, cold, t = timings(reads.full_api, n)
    except Exception as exc:  # the HTTP Api may not exist yet
        return {"api_error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"s": statistics.median(t), "cold_s": cold, "points": got}


def main() -> None:
    """Write the series, then time the reads."""
    exit_on_sigterm()
    args = common.parse_args()
    n, n_small = args.points, args.small_points
    with (
        tracklog_server(args.workdir, args.workers) as srv,
        httpx.Client(base_url=srv.url, timeout=120) as client,
    ):
        run_id = create_run(client, "w6", "w6")
        _, write_s = common.timed(write_series, client, run_id, KEY, n, args.batch_steps)
        write_series(client, run_id, SMALL, n_small, args.batch_steps)
        client.post(f"/api/v1/runs/{run_id}/finish", json={"status": "FINISHED"})
        big, small = Reads(client, srv.url, run_id, KEY), Reads(client, srv.url, run_id, SMALL)
        reqs = max(args.requests, 20)
        n_sampled, sampled_cold, sampled_t = timings(big.sampled, reqs)
        n_raw, raw_cold, raw_t = timings(big.full_raw, 5)
        n_json, json_cold, json_t = timings(big.full_json, 3)
        api = api_timing(big, 3)
        s_sampled, _, s_sampled_t = timings(small.sampled, reqs)
        s_raw, _, s_raw_t = timings(small.full_raw, 5)
        s_json, _, s_json_t = timings(small.full_json, 5)
        s_api = api_timing(small, 3)
        info = server_info(srv)
    result = {
        "points": n,
        "write_s": write_s,
        "write_points_per_s": n / write_s,
        "sampled_points": n_sampled,
        "sampled_requests": len(sampled_t),
        "sampled_cold_ms": sampled_cold * 1e3,
        "sampled_p50_ms": statistics.median(sampled_t) * 1e3,
        "sampled_p90_ms": float(np.percentile(sampled_t, 90)) * 1e3,
        "full_raw_s": statistics.median(raw_t),
        "full_raw_cold_s": raw_cold,
        "full_json_s": statistics.median(json_t),
        "full_json_cold_s": json_cold,
        "full_api_s": api.get("s"),
        "small_points": n_small,
        "small_sampled_p50_ms": statistics.median(s_sampled_t) * 1e3,
        "small_full_s": s_api.get("s"),
        "small_full_json_s": statistics.median(s_json_t),
        "small_full_raw_s": statistics.median(s_raw_t),
        "read_ok": n_raw == n
        and n_json == n
        and 0 < n_sampled <= 1000
        and s_raw == s_json == n_small
        and 0 < s_sampled <= 1000
        and api.get("points", n) == n
        and s_api.get("points", n_small) == n_small,
        "server_startup_s": srv.startup_s,
        **info,
    }
    if "api_error" in api:
        result["api_error"] = api["api_error"]
    common.emit(result)


if __name__ == "__main__":
    main()
