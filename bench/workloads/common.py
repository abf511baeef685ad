"""Shared helpers for the workload scripts: arguments, data, timing, RSS, disk size, output.

Every workload script is run in a fresh subprocess by ``bench/run.py`` and prints exactly one
line ``BENCH_RESULT {json}`` on stdout. Read-back and query phases run in a second fresh process
(the same script started again with ``--read REF``) so that they see nothing cached by the writer.
This module must only depend on the standard library and numpy (it runs in every peer venv).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

MARK = "BENCH_RESULT "
W2_FILTER = "params.lr < 0.01 and metrics.acc > 0.5"
W2_ORDER = ["metrics.acc DESC"]
W2_METRICS = ("acc", "loss", "val_acc", "val_loss", "lr_now")


# ---------------------------------------------------------------- arguments and output


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the arguments shared by all workload scripts."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workdir", type=Path, required=True, help="scratch dir of this repeat")
    p.add_argument("--steps", type=int, default=50_000, help="W1: log() calls (steps)")
    p.add_argument("--keys", type=int, default=20, help="W1: floats per log() call")
    p.add_argument("--runs", type=int, default=1_000, help="W2: number of runs")
    p.add_argument("--run-steps", type=int, default=100, help="W2: steps per run")
    p.add_argument("--queries", type=int, default=5, help="W2: query repetitions")
    p.add_argument("--mode", default="", help="tracker-specific variant")
    p.add_argument("--no-read", action="store_true", help="W1: skip the read-back phase")
    p.add_argument("--workers", type=int, default=1, help="W4-W6: server worker processes")
    p.add_argument("--clients", type=int, default=16, help="W5: client processes")
    p.add_argument("--points", type=int, default=1_000_000, help="W6: points in the series")
    p.add_argument("--small-points", type=int, default=50_000, help="W6: peer-scale series")
    p.add_argument("--batch-steps", type=int, default=1_000, help="W5/W6: steps per request")
    p.add_argument("--requests", type=int, default=20, help="W6: timed requests per kind")
    p.add_argument("--size", type=int, default=256, help="R1: image side, pixels")
    p.add_argument("--values", type=int, default=1_000_000, help="R2: values per histogram")
    p.add_argument("--rows", type=int, default=100_000, help="R3: table rows")
    p.add_argument("--client", type=int, default=-1, help="internal: W5 client number")
    p.add_argument("--read", default="", help="internal: run the read/query phase for REF")
    args = p.parse_args(argv)
    args.store = args.workdir / "store"
    args.store.mkdir(parents=True, exist_ok=True)
    return args


def emit(result: dict[str, Any]) -> None:
    """Print the result line that the driver collects."""
    print(MARK + json.dumps(result, default=float), flush=True)


def parse_result(stdout: str) -> dict[str, Any] | None:
    """Return the last ``BENCH_RESULT`` object in ``stdout`` (None if there is none)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    return None


def run_fresh(script: str, args: argparse.Namespace, ref: str) -> dict[str, Any]:
    """Run ``script --read ref`` in a fresh interpreter (same env) and return its result."""
    cmd = [sys.executable, script, "--workdir", str(args.workdir), "--read", ref]
    cmd += ["--steps", str(args.steps), "--keys", str(args.keys), "--runs", str(args.runs)]
    cmd += ["--run-steps", str(args.run_steps), "--queries", str(args.queries)]
    cmd += ["--mode", args.mode]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=args.workdir)
    res = parse_result(proc.stdout)
    if proc.returncode != 0 or res is None:
        raise RuntimeError(f"read phase failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return res


# ---------------------------------------------------------------- measurement helpers


def timed(fn: Callable[..., Any], *a: Any, **kw: Any) -> tuple[Any, float]:
    """Call ``fn`` and return ``(result, seconds)``."""
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def median_time(fn: Callable[[], Any], n: int) -> tuple[Any, float, float]:
    """Call ``fn`` n times; return (last result, first-call seconds, median of the rest)."""
    out, first = timed(fn)
    rest = []
    for _ in range(max(n - 1, 1)):
        out, t = timed(fn)
        rest.append(t)
    return out, first, statistics.median(rest)


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def helpers_peak_rss_mb() -> float:
    """Sum of peak RSS (VmHWM) of this process's live descendants, e.g. a tracker's service.

    Short-lived forks (``uname``, ``git``) are gone by then and do not count; RUSAGE_CHILDREN
    would count them with the parent's inherited RSS.
    """
    from servers import children_by_parent

    children = children_by_parent()
    total_kib, todo = 0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far, all its threads together."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed_cpu(fn: Callable[..., Any], *a: Any, **kw: Any) -> tuple[Any, float, float]:
    """Call ``fn`` and return ``(result, wall seconds, process CPU seconds)``."""
    c0 = cpu_s()
    out, wall = timed(fn, *a, **kw)
    return out, wall, cpu_s() - c0


def rss_now_mb() -> float:
    """Current resident set size of this process in MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def dir_size(path: Path) -> int:
    """Total size in bytes of all regular files below ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


# ---------------------------------------------------------------- W1: log scalars


def w1_data(steps: int, keys: int, seed: int = 0) -> tuple[list[str], list[list[float]]]:
    """Key names and a steps x keys table of varying Python floats (generated up front)."""
    rows = np.random.default_rng(seed).standard_normal((steps, keys)).tolist()
    return [f"k{j}" for j in range(keys)], rows


def baseline_loop(names: list[str], rows: list[list[float]], repeats: int = 3) -> float:
    """Seconds for the W1 loop without the log() call (only building the dict); min of repeats."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _i, row in enumerate(rows):
            d = dict(zip(names, row, strict=True))  # noqa: F841 - the dict is the work being measured
        best = min(best, time.perf_counter() - t0)
    return best


def log_loop(log: Callable[..., Any], names: list[str], rows: list[list[float]]) -> float:
    """Seconds for the W1 loop: build the dict and call ``log(d, step=i)`` once per step."""
    t0 = time.perf_counter()
    for i, row in enumerate(rows):
        d = dict(zip(names, row, strict=True))
        log(d, step=i)
    return time.perf_counter() - t0


def w1_result(
    args: argparse.Namespace,
    base_s: float,
    loop_s: float,
    finish_s: float,
    init_s: float,
    rss_before_mb: float,
    helper_mb: float,
) -> dict[str, Any]:
    """Derived W1 numbers from the raw timings, plus RSS and the store's size on disk."""
    points = args.steps * args.keys
    disk = dir_size(args.store)
    return {
        "steps": args.steps,
        "keys": args.keys,
        "points": points,
        "init_s": init_s,
        "loop_s": loop_s,
        "baseline_s": base_s,
        "us_per_log": (loop_s - base_s) / args.steps * 1e6,
        "finish_s": finish_s,
        "points_per_s": points / (loop_s + finish_s),
        "rss_before_mb": rss_before_mb,
        "rss_peak_mb": peak_rss_mb(),
        "rss_helper_mb": helper_mb,
        "disk_bytes": disk,
        "bytes_per_point": disk / points,
    }


def w1_read_result(
    open_s: float, one: tuple[int, float], all_: tuple[int, float], args: argparse.Namespace
) -> dict[str, Any]:
    """Package W1 read-back timings; ``one``/``all_`` are (points read, seconds)."""
    return {
        "read_open_s": open_s,
        "read_one_s": one[1],
        "read_all_s": all_[1],
        "read_one_points": one[0],
        "read_all_points": all_[0],
        "read_ok": one[0] == args.steps and all_[0] == args.steps * args.keys,
    }


class W1Handle(NamedTuple):
    """What a tracker's W1 ``start`` returns: the log call, finish call and a run reference."""

    log: Callable[..., Any]
    finish: Callable[[], Any]
    ref: str
    close: Callable[[], Any] | None = None  # untimed teardown after finish (e.g. a service)


def w1_main(
    start: Callable[[argparse.Namespace], W1Handle],
    read: Callable[[argparse.Namespace, str], dict[str, Any]] | None,
) -> None:
    """Run W1: baseline loop, ``start`` (timed as init), log loop, finish, then read-back.

    ``read(args, ref)`` runs in a fresh process and returns :func:`w1_read_result`; pass None
    for trackers without a local read API.
    """
    args = parse_args()
    if args.read:
        assert read is not None
        emit(read(args, args.read))
        return
    names, rows = w1_data(args.steps, args.keys)
    base_s = baseline_loop(names, rows)
    rss_before = rss_now_mb()
    handle, init_s, init_cpu_s = timed_cpu(start, args)
    init_rss_mb = rss_now_mb() - rss_before
    loop_s = log_loop(handle.log, names, rows)
    _, finish_s = timed(handle.finish)
    helper_mb = helpers_peak_rss_mb()
    if handle.close is not None:
        handle.close()
    result = w1_result(args, base_s, loop_s, finish_s, init_s, rss_before, helper_mb)
    result.update(init_cpu_s=init_cpu_s, init_rss_mb=init_rss_mb)
    if read is not None and not args.no_read:
        result.update(run_fresh(os.path.abspath(sys.argv[0]), args, handle.ref))
    emit(result)


# ---------------------------------------------------------------- W2: many runs


def w2_runs(n_runs: int, steps: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Deterministic runs: 20 params (lr log-uniform in 1e-4..1e-1), 5 tags, 5 metric curves.

    Each yielded run has ``name``, ``params``, ``tags`` (5 labels), ``rows`` (one dict of the 5
    metrics per step; ``acc`` in [0, 1]) and ``final_acc`` (the last logged ``acc``).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    optimizers = ["adam", "adamw", "sgd", "lion"]
    models = ["resnet18", "resnet50", "vit-s", "mlp"]
    for r in range(n_runs):
        lr = float(10 ** rng.uniform(-4, -1))
        params: dict[str, Any] = {
            "lr": lr,
            "batch_size": int(rng.choice([32, 64, 128, 256])),
            "optimizer": str(rng.choice(optimizers)),
            "model": str(rng.choice(models)),
            "dropout": float(rng.uniform(0, 0.5)),
            "weight_decay": float(10 ** rng.uniform(-6, -2)),
            "epochs": int(rng.integers(1, 100)),
            "seed": r,
            "warmup": int(rng.integers(0, 1000)),
            "amp": bool(rng.integers(0, 2)),
        }
        for j in range(20 - len(params)):
            params[f"p{j}"] = float(rng.random())
        target = float(rng.uniform(0.05, 0.95))
        curve = target * (1 - np.exp(-(t + 1) / 15))
        acc = np.clip(curve + rng.normal(0, 0.01, steps), 0, 1)
        loss = -np.log(np.clip(acc, 1e-3, None)) + rng.normal(0, 0.01, steps)
        cols = [acc, loss, acc * 0.97, loss * 1.05, lr * np.cos(np.pi * t / (2 * steps))]
        table = np.stack(cols, axis=1).tolist()
        yield {
            "name": f"run-{r:05d}",
            "params": params,
            "tags": [f"tag{(r + k) % 17}" for k in range(5)],
            "rows": [dict(zip(W2_METRICS, row, strict=True)) for row in table],
            "final_acc": float(acc[-1]),
        }


def w2_expected(n_runs: int, steps: int) -> int:
    """Number of runs that satisfy ``W2_FILTER`` (lr < 0.01 and last acc > 0.5)."""
    return sum(
        1 for r in w2_runs(n_runs, steps) if r["params"]["lr"] < 0.01 and r["final_acc"] > 0.5
    )


def w2_create(args: argparse.Namespace, create: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Pre-generate the runs, then time ``create(run)`` for each of them."""
    runs = list(w2_runs(args.runs, args.run_steps))
    t0 = time.perf_counter()
    create(runs[0])  # pays the one-time costs: imports, opening or creating the store
    first = time.perf_counter() - t0
    for run in runs[1:]:
        create(run)
    total = time.perf_counter() - t0
    return {
        "runs": args.runs,
        "create_s": total,
        "runs_per_s": args.runs / total,
        "first_run_s": first,
        "runs_per_s_after_first": (args.runs - 1) / (total - first) if args.runs > 1 else None,
        "rss_peak_mb": peak_rss_mb(),
        "disk_bytes": dir_size(args.store),
    }


def w2_main(
    setup: Callable[[argparse.Namespace], Callable[[dict[str, Any]], None]],
    query: Callable[[argparse.Namespace], int],
) -> None:
    """Run W2: ``setup(args)`` returns ``create(run)``; then time ``query(args)`` (fresh process).

    ``query`` returns the number of matching runs; it is called ``--queries`` times and the
    first (cold) call and the median of the others are reported.
    """
    args = parse_args()
    if args.read:
        matches, first, med = median_time(lambda: query(args), args.queries)
        emit({"query_first_s": first, "query_s": med, "matches": matches})
        return
    result = w2_create(args, setup(args))
    result["expected_matches"] = w2_expected(args.runs, args.run_steps)
    result.update(run_fresh(os.path.abspath(sys.argv[0]), args, "query"))
    emit(result)
