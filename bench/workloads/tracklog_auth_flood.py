"""W9 auth flood: latency of valid requests to ``tracklog server --auth`` while unauthenticated
clients flood it with gzip bodies and wrong passwords.

A user with a password hashed at the real argon2 costs and a token; one client times valid
``GET /api/v1/projects`` requests in turn with the token (Bearer) and with the password (HTTP
basic, verified once before, as the mlflow client sends it with every request). Three phases:
quiet; a flood from one address (``--clients`` concurrent connections, each posting a gzip body
of 64 MiB, a JSON object padded with spaces, 64 kB compressed, with HTTP basic credentials of a
random user name, half of them the real user's, and a wrong password, one request at a time);
the same flood spread over as many addresses as requests (``X-Forwarded-For``, which uvicorn
trusts from loopback), so no per-address limit applies. Each flood lasts ``--seconds``; the
flood runs in a process of its own (asyncio), the timed client in this one.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from common import emit
from servers import exit_on_sigterm
from tracklog_server import tracklog_server

USER, PASSWORD = "alice", "alice's real password"


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workdir", type=Path, help="scratch dir of this repeat")
    p.add_argument("--clients", type=int, default=24, help="concurrent flood connections")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each flood")
    p.add_argument("--requests", type=int, default=200, help="valid requests per kind, quiet")
    p.add_argument("--flood", default="", help="internal: flood URL, then exit")
    p.add_argument("--spread", action="store_true", help="internal: a new address per request")
    p.add_argument("--out", type=Path, help="internal: where the flooder writes its counts")
    return p.parse_args()


# ------------------------------------------------------------------------- the flooder


async def flood(url: str, clients: int, seconds: float, spread: bool) -> dict[str, Any]:
    """``clients`` connections posting bad guesses until ``seconds`` have passed."""
    statuses: Counter[str] = Counter()
    # Valid JSON once decoded, so that a server reading it parses it, then checks the password.
    head, tail = b'{"project": "flood", "name": "', b'"}'
    bomb = gzip.compress(head + b" " * ((64 << 20) - len(head) - len(tail)) + tail, 9)
    deadline = time.monotonic() + seconds
    rng = random.Random(0)

    async def one(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            name = USER if rng.random() < 0.5 else f"user{rng.randrange(10**6)}"
            headers = {
                "authorization": basic(name, f"guess {rng.randrange(10**9)}"),
                "content-encoding": "gzip",
                "content-type": "application/json",
            }
            if spread:
                headers["x-forwarded-for"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.1"
            try:
                answer = await client.post(f"{url}/api/v1/runs", content=bomb, headers=headers)
                statuses[str(answer.status_code)] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        await asyncio.gather(*(one(client) for _ in range(clients)))
    return dict(statuses)


# ------------------------------------------------------------------------- the timed client


def timed(client: httpx.Client, headers: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    status = client.get("/api/v1/projects", headers=headers).status_code
    return time.perf_counter() - t0, status


def valid_latencies(
    client: httpx.Client, token: str, stop: threading.Event | None, n: int
) -> dict[str, Any]:
    """Valid token and basic requests in turn: ``n`` of each, or until ``stop`` is set."""
    kinds = {"token": {"authorization": f"Bearer {token}"}, "basic": {"authorization": ""}}
    kinds["basic"]["authorization"] = basic(USER, PASSWORD)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    errors = 0
    while (stop is None and len(times["basic"]) < n) or (stop is not None and not stop.is_set()):
        for kind, headers in kinds.items():
            took, status = timed(client, headers)
            times[kind].append(took)
            errors += status != 200
    out: dict[str, Any] = {"valid_errors": errors}
    for kind, seen in times.items():
        seen.sort()
        out[f"{kind}_n"] = len(seen)
        out[f"{kind}_p50_ms"] = statistics.median(seen) * 1e3
        out[f"{kind}_p99_ms"] = seen[min(len(seen) - 1, int(len(seen) * 0.99))] * 1e3
    return out


def flood_phase(
    args: argparse.Namespace, url: str, client: httpx.Client, token: str, spread: bool, srv: Any
) -> dict[str, Any]:
    """Valid requests timed while a flooder process runs; the server's RSS sampled."""
    out_path = args.workdir / ("spread.json" if spread else "flood.json")
    cmd = [sys.executable, __file__, "--flood", url, "--clients", str(args.clients)]
    cmd += ["--seconds", str(args.seconds), "--out", str(out_path)]
    flooder = subprocess.Popen([*cmd, *(["--spread"] if spread else [])])
    time.sleep(min(2.0, args.seconds / 4))  # let the flood build up
    stop = threading.Event()
    rss: list[float] = []

    def sample() -> None:
        while not stop.is_set():
            rss.append(srv.memory()["server_rss_mb"])
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    timer = threading.Timer(max(1.0, args.seconds - 2.5), stop.set)
    timer.start()
    result = valid_latencies(client, token, stop, 0)
    sampler.join()
    flooder.wait(timeout=args.seconds + 180)
    counts = json.loads(out_path.read_text())
    result["flood_requests"] = sum(counts.values())
    result["flood_401"] = counts.get("401", 0)
    result["flood_429"] = counts.get("429", 0)
    result["flood_other"] = result["flood_requests"] - result["flood_401"] - result["flood_429"]
    result["server_rss_max_mb"] = max(rss, default=0.0)
    return result


def main() -> None:
    args = parse_args()
    if args.flood:
        counts = asyncio.run(flood(args.flood, args.clients, args.seconds, args.spread))
        args.out.write_text(json.dumps(counts))
        return
    exit_on_sigterm()
    from tracklog.store.auth import AuthStore
    from tracklog.store.tracking import Store

    db = args.workdir / "store" / "server.db"
    store = Store(f"sqlite:///{db}")
    auth = AuthStore(store)
    auth.create_user(USER, PASSWORD)  # the real argon2 costs: what a guess costs the server
    token = auth.create_token(USER).secret
    store.close()
    result: dict[str, Any] = {"clients": args.clients, "flood_seconds": args.seconds}
    with tracklog_server(args.workdir, 1, "--auth") as srv:
        with httpx.Client(base_url=srv.url, timeout=300) as client:
            assert timed(client, {"authorization": basic(USER, PASSWORD)})[1] == 200
            quiet = valid_latencies(client, token, None, args.requests)
            one = flood_phase(args, srv.url, client, token, False, srv)
            spread = flood_phase(args, srv.url, client, token, True, srv)
        result["server_peak_mb"] = srv.memory()["server_peak_mb"]
    for prefix, phase in (("quiet", quiet), ("flood", one), ("spread", spread)):
        result.update({f"{prefix}_{k}": v for k, v in phase.items()})
    emit(result)


if __name__ == "__main__":
    main()
