"""R1-R3 rich data: images, histograms and tables logged through one run per repeat.

A tracker's script gives :func:`rich_main` a ``start(args)`` that opens its run and returns a
:class:`RichHandle` with the calls it supports, and for R3 an ``open_table(args, ref)`` that
runs in a fresh process and returns the read call. ``--mode`` picks the workload (``r1``,
``r2``, ``r3``; a tracker's variant adds a suffix, e.g. ``r1-sync``). The data is generated
before the run starts, so the timed loops only log. Standard library and numpy only (it runs
in every peer venv); R3 also needs pandas.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from common import (
    dir_size,
    emit,
    parse_args,
    peak_rss_mb,
    rss_now_mb,
    run_fresh,
    timed,
    timed_cpu,
)

TABLE_KEY = "t"


class RichHandle(NamedTuple):
    """What a tracker's ``start`` returns; a workload it lacks is None (no case runs it)."""

    finish: Callable[[], Any]
    ref: str
    image: Callable[[int, np.ndarray], Any] | None = None  # log frame as an image at step i
    histogram: Callable[[int, np.ndarray], Any] | None = None  # log values as a histogram
    table: Callable[[Any], Any] | None = None  # log a pandas DataFrame as a table
    close: Callable[[], Any] | None = None  # untimed teardown after finish (e.g. a service)


def frames(n: int, size: int, seed: int = 0) -> np.ndarray:
    """``n`` distinct RGB uint8 images of ``size``×``size``: smooth blocks plus noise, so that
    they compress somewhat, as photos do, and no two are alike (no content dedup)."""
    rng = np.random.default_rng(seed)
    block = max(size // 16, 1)
    coarse = rng.integers(0, 256, (n, -(-size // block), -(-size // block), 3), dtype=np.uint8)
    smooth = coarse.repeat(block, axis=1).repeat(block, axis=2)[:, :size, :size]
    noise = rng.integers(-12, 13, smooth.shape, dtype=np.int16)
    return np.clip(smooth.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def histogram_values(n: int, values: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` float32 arrays of ``values`` each, normal with a drifting mean and spread."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a = rng.standard_normal(values, dtype=np.float32)
        out.append(a * np.float32(1 + i / n) + np.float32(i / n))
    return out


def table_frame(rows: int, seed: int = 0) -> Any:
    """A DataFrame of ``rows`` × 6 columns: 2 int64, 2 float64, 2 str (a label of 100
    categories and a distinct id)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    labels = np.array([f"class-{k:02d}" for k in range(100)], dtype=object)
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "epoch": rng.integers(0, 100, rows, dtype=np.int64),
            "score": rng.random(rows),
            "loss": rng.standard_normal(rows),
            "label": labels[rng.integers(0, 100, rows)],
            "name": [f"sample-{i:08d}" for i in range(rows)],
        }
    )


def _loop(log: Callable[[int, np.ndarray], Any], data: Any) -> tuple[float, np.ndarray]:
    """Seconds for one logging call per item (``log(i, data[i])``), and each call's seconds:
    a mean can hide a few long waits (on a writer thread holding the GIL, say)."""
    calls = np.empty(len(data))
    clock = time.perf_counter
    t0 = clock()
    for i, item in enumerate(data):
        t = clock()
        log(i, item)
        calls[i] = clock() - t
    return clock() - t0, calls


def _per_step(
    args: argparse.Namespace,
    start: Callable[..., RichHandle],
    data: Any,
    pick: Callable[[RichHandle], Callable[[int, np.ndarray], Any] | None],
) -> dict[str, Any]:
    """Open the run, log ``data`` one item per step with the call ``pick`` takes from the
    handle, finish; loop and finish times, RSS and disk."""
    handle, res = _started(args, start)
    log = pick(handle)
    assert log is not None, "this tracker has no such type"
    res["loop_s"], calls = _loop(log, data)
    res.update(
        call_p50_s=float(np.median(calls)),
        call_p99_s=float(np.percentile(calls, 99)),
        call_max_s=float(calls.max()),
    )
    _, res["finish_s"] = timed(handle.finish)
    return _ended(args, handle, res)


def _r1(args: argparse.Namespace, start: Callable[..., RichHandle]) -> dict[str, Any]:
    """R1: one image per step; µs per call, images/s until ``finish`` returns, bytes on disk."""
    res = _per_step(args, start, frames(args.steps, args.size), lambda h: h.image)
    res.update(
        scale=f"{args.steps:,} images of {args.size}×{args.size} RGB",
        us_per_log=res["loop_s"] / args.steps * 1e6,
        images_per_s=args.steps / (res["loop_s"] + res["finish_s"]),
        bytes_per_image=res["disk_bytes"] / args.steps,
    )
    return res


def _r2(args: argparse.Namespace, start: Callable[..., RichHandle]) -> dict[str, Any]:
    """R2: a float32 array per step as a histogram; ms per call, total until stored."""
    data = histogram_values(args.steps, args.values)
    res = _per_step(args, start, data, lambda h: h.histogram)
    res.update(
        scale=f"{args.steps:,} steps × {args.values:,} float32",
        ms_per_log=res["loop_s"] / args.steps * 1e3,
        total_s=res["loop_s"] + res["finish_s"],
    )
    return res


def _r3(args: argparse.Namespace, start: Callable[..., RichHandle]) -> dict[str, Any]:
    """R3: one table logged; the table object, ``log`` and ``finish`` until it returns."""
    frame = table_frame(args.rows)
    handle, res = _started(args, start)
    assert handle.table is not None, "this tracker has no table type"
    _, log_s = timed(handle.table, frame)
    _, finish_s = timed(handle.finish)
    res.update(
        scale=f"{args.rows:,} rows × 6 columns",
        rows=args.rows,
        log_s=log_s,
        finish_s=finish_s,
        stored_s=log_s + finish_s,
    )
    return _ended(args, handle, res)


def _started(
    args: argparse.Namespace, start: Callable[..., RichHandle]
) -> tuple[RichHandle, dict[str, Any]]:
    """Open the run (timed as ``init``) after the data exists."""
    rss_before = rss_now_mb()
    handle, init_s, init_cpu_s = timed_cpu(start, args)
    return handle, {"init_s": init_s, "init_cpu_s": init_cpu_s, "rss_before_mb": rss_before}


def _ended(args: argparse.Namespace, handle: RichHandle, res: dict[str, Any]) -> dict[str, Any]:
    """Tear down, then add peak RSS and the store's size on disk."""
    if handle.close is not None:
        handle.close()
    res.update(ref=handle.ref, rss_peak_mb=peak_rss_mb(), disk_bytes=dir_size(args.store))
    return res


def _read(
    args: argparse.Namespace, open_table: Callable[[argparse.Namespace, str], Callable[[], Any]]
) -> dict[str, Any]:
    """R3's read phase (fresh process): import the DataFrame libraries, open the store, then
    time the read call alone.

    pandas and pyarrow are imported first for every tracker alike (and timed apart), so the
    read call measures the tracker, not which library happened to import them earlier.
    """
    _, import_s = timed(_import_frame_libraries)
    read, open_s = timed(open_table, args, args.read)
    frame, read_s = timed(read)
    return {
        "read_import_s": import_s,
        "read_open_s": open_s,
        "read_s": read_s,
        "read_rows": len(frame),
        "read_columns": len(frame.columns),
    }


def _import_frame_libraries() -> None:
    import pandas  # noqa: F401

    with contextlib.suppress(ImportError):  # a peer that reads without it
        import pyarrow.parquet  # noqa: F401


WORKLOADS = {"r1": _r1, "r2": _r2, "r3": _r3}


def rich_main(
    start: Callable[[argparse.Namespace], RichHandle],
    open_table: Callable[[argparse.Namespace, str], Callable[[], Any]] | None = None,
) -> None:
    """Run the workload ``--mode`` names; R3 reads back in a fresh process if it can."""
    args = parse_args()
    if args.read:
        assert open_table is not None
        emit(_read(args, open_table))
        return
    workload = args.mode.split("-")[0]
    res = WORKLOADS[workload](args, start)
    if workload == "r3" and open_table is not None:
        back = run_fresh(os.path.abspath(sys.argv[0]), args, res["ref"])
        back["read_ok"] = back["read_rows"] == args.rows and back["read_columns"] == 6
        res.update(back)
    emit(res)
