"""Machine description and the Markdown report (docs/benchmarks.md) from collected results."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from typing import Any

from cases import WORKLOADS

MB = 2**20


@dataclass(frozen=True)
class Metric:
    """One row of a workload table."""

    key: str  # field of the workload's result JSON
    title: str
    scale: float = 1.0  # display value = raw value * scale
    extensive: bool = False  # grows with the workload's size: no ratio across scales
    ratio: bool = True  # show in the peer / tracklog table
    same: str = ""  # result field whose equality makes an extensive metric comparable


METRICS: dict[str, list[Metric]] = {
    "W1": [
        Metric("us_per_log", "µs per `log()` call (loop minus dict-only loop)"),
        Metric("finish_s", "`finish()` after last log, s", extensive=True),
        Metric("points_per_s", "points/s overall (points / (loop + finish))"),
        Metric("init_s", "`init()`, s"),
        Metric("init_cpu_s", "`init()`, CPU s (the process's, all threads)"),
        Metric("init_rss_mb", "RSS gained in `init()`, MB"),
        Metric("rss_peak_mb", "peak RSS, MB (workload process)", extensive=True),
        Metric("rss_growth_mb", "RSS growth from before `init()`, MB", extensive=True),
        Metric("rss_helper_mb", "peak RSS of helper process, MB", extensive=True),
        Metric("disk_mb", "store size on disk after finish, MB", extensive=True),
        Metric("bytes_per_point", "bytes on disk per point"),
        Metric("read_one_s", "read 1 series (fresh process), s", extensive=True),
        Metric("read_all_s", "read all 20 series, s", extensive=True),
        Metric("read_open_s", "open store / run handle for reading, s"),
        Metric("read_open_cpu_s", "same, CPU s"),
    ],
    "W2": [
        Metric("runs_per_s", "runs created per second"),
        Metric("first_run_s", "first run (imports, store creation included), s"),
        Metric("runs_per_s_after_first", "runs created per second after the first"),
        Metric("create_s", "create all runs, s", extensive=True),
        Metric("query_s", "query time, s (median of repeats)", extensive=True),
        Metric("query_first_s", "first (cold) query in a fresh process, s", extensive=True),
        Metric("query_limit100_s", "same query with `limit=100`, s (median)", extensive=True),
        Metric("fill_s", "store filled in bulk (untimed setup, not the SDK), s", ratio=False),
        Metric("matches", "matches", ratio=False),
        Metric("expected_matches", "expected matches", ratio=False),
        Metric("rss_peak_mb", "peak RSS while creating, MB", extensive=True),
        Metric("disk_mb", "store size on disk, MB", extensive=True),
    ],
    "W3": [
        Metric("import_s", "`import` time (minus `python -c pass`), ms", 1e3),
        Metric("import_total_s", "`python -c 'import …'` wall time, ms", 1e3, ratio=False),
        Metric("pass_s", "`python -c pass` wall time, ms", 1e3, ratio=False),
    ],
}

METRICS["C1"] = [
    Metric("capture_added_s", "added to `init()` by capture, ms (median on − median off)", 1e3),
    Metric("init_on_s", "`init()` with capture, ms (fresh process)", 1e3),
    Metric("init_off_s", "`init()` with `TRACKLOG_CAPTURE=0`, ms (fresh process)", 1e3),
    Metric("capture_all_s", "capture's own timer (`metadata.capture.ms.total`), ms", 1e3),
    Metric("packages", "distributions seen", ratio=False),
    Metric("sampler_ms_per_sample", "system sampler CPU per sample, ms"),
    Metric("sampler_core_pct", "system sampler at the default 10 s, % of one core"),
]

SERVER_MEMORY = [
    Metric("server_rss_mb", "server RSS at the end, MB (sum over its processes)"),
    Metric("server_pss_mb", "server PSS at the end, MB (shared pages counted once)"),
    Metric("server_peak_mb", "server peak RSS, MB (sum of the processes' peaks)"),
    Metric("server_procs", "server processes", ratio=False),
    Metric("server_startup_s", "server start until `/health` answers, s"),
]
METRICS["W4"] = [
    Metric("us_per_log", "µs per `log()` call (loop minus dict-only loop)"),
    Metric("local_us_per_log", "same, local-mode W1 in the same repeat", ratio=False),
    Metric("log_ratio", "`log()` cost: server ÷ local (target ≤ 2)", ratio=False),
    Metric("points_per_s", "points/s until all stored (points / (loop + finish + wait))"),
    Metric("local_points_per_s", "points/s, local-mode W1 in the same repeat", ratio=False),
    Metric("pps_ratio", "points/s: local ÷ server", ratio=False),
    Metric("finish_s", "`finish()` after last log, s", extensive=True),
    Metric("drain_s", "wait after `finish()` until every point is stored, s", extensive=True),
    Metric("init_s", "`init()`, s (after the workload imported httpx and tracklog's wire format)"),
    Metric("probe_init_s", "`init()` in a fresh process (numpy, tracklog imported), median s"),
    Metric("probe_init_cpu_s", "same, CPU s"),
    Metric("probe_init_rss_mb", "same, RSS gained in `init()`, MB"),
    Metric("local_probe_init_s", "same against a local SQLite store, median s", ratio=False),
    Metric("local_probe_init_cpu_s", "same against a local SQLite store, CPU s", ratio=False),
    Metric("local_probe_init_rss_mb", "same against a local SQLite store, RSS MB", ratio=False),
    Metric("rss_peak_mb", "peak RSS of the training process, MB", extensive=True),
    Metric("rss_growth_mb", "RSS growth from before `init()`, MB", extensive=True),
    *SERVER_MEMORY,
    Metric("disk_mb", "server store size on disk, MB", extensive=True),
]
METRICS["W5"] = [
    Metric("points_per_s", "total points/s (release → every point stored; target ≥ 300,000)"),
    Metric("total_s", "release → every point stored, s", extensive=True),
    Metric("errors", "errors (target 0)", ratio=False),
    Metric("missing_points", "points not stored", ratio=False),
    Metric("failed_requests", "failed ingest requests", ratio=False),
    Metric("server_error_lines", "error lines in the server log", ratio=False),
    Metric("lat_p50_ms", "ingest request latency p50, ms (client side)"),
    Metric("lat_p99_ms", "ingest request latency p99, ms (client side)"),
    Metric("lat_max_ms", "ingest request latency max, ms"),
    Metric("requests", "ingest requests timed", ratio=False),
    Metric("points_per_request", "points per request", ratio=False),
    Metric("client_s_median", "one client's time, release → finished, median s"),
    Metric("client_init_s_median", "one client's `init()`, median s"),
    Metric("client_finish_s_median", "one client's `finish()`, median s"),
    Metric("client_cpu_s_total", "CPU of the clients from release to finished, s (sum)"),
    Metric("server_cpu_s", "CPU of the server from release to all stored, s (all processes)"),
    *SERVER_MEMORY,
]
METRICS["W6"] = [
    Metric("sampled_p50_ms", "`?samples=1000`: p50 latency, ms (target ≤ 50)", extensive=True),
    Metric("sampled_p90_ms", "`?samples=1000`: p90 latency, ms", extensive=True),
    Metric("sampled_cold_ms", "`?samples=1000`: first request, ms", extensive=True),
    Metric("full_raw_s", "full resolution, raw arrays, s (median; target ≤ 1)", extensive=True),
    Metric("full_raw_cold_s", "full resolution, raw arrays, first request, s", extensive=True),
    Metric("full_json_s", "full resolution, JSON, s (median)", extensive=True),
    Metric("full_api_s", "full resolution, `Api(url).run(id).series(k)`, s", extensive=True),
    Metric("small_points", "peer-scale series: points", ratio=False),
    Metric(
        "small_sampled_p50_ms",
        "peer-scale series sampled to 1,000 points: p50, ms",
        extensive=True,
        same="small_points",
    ),
    Metric(
        "small_full_s",
        "peer-scale series, full, client library call, s",
        extensive=True,
        same="small_points",
    ),
    Metric(
        "small_full_json_s",
        "peer-scale series, full, plain JSON GET, s",
        extensive=True,
        same="small_points",
    ),
    Metric(
        "small_full_raw_s",
        "peer-scale series, full, raw arrays, s",
        extensive=True,
        same="small_points",
    ),
    Metric("write_points_per_s", "setup: series written at, points/s"),
    *SERVER_MEMORY,
]

METRICS["W8"] = [
    Metric("runs", "runs in the project", ratio=False),
    Metric("table_first_rows_s", "runs table: navigation → first rows drawn, s (target ≤ 1.5)"),
    Metric("table_sort_s", "runs table: sort by a metric column, s (target ≤ 0.5)"),
    Metric("keys_s", "project keys (`GET /projects/{name}/keys`) of the runs, s"),
    Metric("charts_cold_s", "charts, 20 runs × 4 metrics: drawn, first visit, s"),
    Metric("charts_warm_s", "charts: drawn, second visit (plotly.js cached), s (target ≤ 2)"),
    Metric("charts_payload_bytes", "charts: API payload, MB (target ≤ 2)", scale=1 / MB),
    Metric("charts_requests", "charts: API requests, first visit", ratio=False),
    Metric("charts_points_drawn", "charts: points drawn (all lines)", ratio=False),
    Metric("big_cold_s", "1M-point series: drawn, first visit, s"),
    Metric("big_warm_s", "1M-point series: drawn, second visit, s (target ≤ 1)"),
    Metric(
        "plotly_alone_cold_s",
        "a page that only loads plotly.js (the least for any page using it): first visit, s",
        ratio=False,
    ),
    Metric("plotly_alone_warm_s", "a page that only loads plotly.js: second visit, s", ratio=False),
    Metric("big_points_drawn", "1M-point series: points in the drawn line", ratio=False),
    Metric("big_spike_visible", "1M-point series: injected spike drawn (1 = yes)", ratio=False),
    *SERVER_MEMORY,
]

METRICS["W7"] = [
    Metric("sync_us_per_call", "`log_metrics(d, step=i)` synchronous: µs per call"),
    Metric("sync_points_per_s", "synchronous: points/s (points / (loop + `end_run()`))"),
    Metric("async_us_per_call", "`synchronous=False`: µs per call"),
    Metric("async_end_s", "`synchronous=False`: `end_run()` (waits for the queue), s"),
    Metric("async_points_per_s", "`synchronous=False`: points/s (points / (loop + `end_run()`))"),
    Metric(
        "sync_floor_points_per_s",
        "client floor: synchronous points/s against a server that answers at once",
    ),
    Metric(
        "async_floor_points_per_s",
        "client floor: `synchronous=False` points/s against a server that answers at once",
    ),
    Metric("create_runs_per_s", "search setup: runs created (`create_run` + `log_batch`)/s"),
    Metric("query_first_s", "`search_runs` at 1,000 runs: first call, s", extensive=True),
    Metric("query_s", "`search_runs` at 1,000 runs: median of the next 9, s", extensive=True),
    Metric("query_client_cpu_ms", "`search_runs`: client CPU per call, ms (median)"),
    Metric("query_server_cpu_ms", "`search_runs`: server CPU per request, ms (process tree)"),
    Metric("answer_kb", "`search_runs`: answer size, kB"),
    Metric(
        "floor_query_s",
        "client floor: `search_runs` with the same answer served from memory, median, s",
        extensive=True,
    ),
    Metric("floor_client_cpu_ms", "client floor: client CPU per call, ms (median)"),
    Metric("query_above_floor_s", "`search_runs` above the client floor, s", extensive=True),
    Metric("matches", "matches", ratio=False),
    Metric("expected_matches", "expected matches", ratio=False),
    Metric("server_startup_s", "server start until it answers, s"),
]

METRICS["W9"] = [
    *(
        Metric(f"{phase}_{kind}_{q}_ms", f"{title}: valid {label} request, {q}, ms")
        for phase, title in (
            ("quiet", "no flood"),
            ("flood", "flood from one address"),
            ("spread", "flood from many addresses"),
        )
        for kind, label in (("token", "token (Bearer)"), ("basic", "HTTP basic (verified before)"))
        for q in ("p50", "p99")
    ),
    *(
        Metric(f"{phase}_{key}", f"{title}: {what}", ratio=False)
        for phase, title in (("flood", "one address"), ("spread", "many addresses"))
        for key, what in (
            ("flood_requests", "bad guesses answered"),
            ("flood_401", "… of them 401"),
            ("flood_429", "… of them 429"),
            ("valid_errors", "valid requests refused or failed"),
            ("server_rss_max_mb", "server RSS, highest sample, MB"),
        )
    ),
    Metric("server_peak_mb", "server peak RSS over all phases, MB"),
]

RICH_LOOP = [  # R1 and R2: one value logged per step
    Metric("loop_s", "logging loop, s", extensive=True),
    Metric("finish_s", "`finish()` after the last `log()`, s", extensive=True),
    Metric("disk_mb", "store size on disk after finish, MB", extensive=True),
]
METRICS["R1"] = [
    Metric("us_per_log", "µs per `log()` call, mean (target ≤ 100)"),
    Metric("call_p50_s", "µs per `log()` call, median", 1e6),
    Metric("call_p99_s", "µs per `log()` call, p99", 1e6),
    Metric("call_max_s", "µs per `log()` call, max", 1e6),
    Metric("images_per_s", "images/s until stored (images / (loop + finish); target ≥ 400)"),
    *RICH_LOOP,
    Metric("bytes_per_image", "bytes on disk per image"),
    Metric("init_s", "`init()`, s"),
    Metric("rss_peak_mb", "peak RSS, MB (the images take ~190 MB before `init()`)", extensive=True),
]
METRICS["R2"] = [
    Metric("ms_per_log", "ms per `log()` call, mean (target ≤ 2)"),
    Metric("call_p50_s", "ms per `log()` call, median", 1e3),
    Metric("call_max_s", "ms per `log()` call, max", 1e3),
    Metric("total_s", "total until stored (loop + finish), s (target ≤ 0.5)", extensive=True),
    *RICH_LOOP,
    Metric("init_s", "`init()`, s"),
    Metric("rss_peak_mb", "peak RSS, MB (the arrays take ~400 MB before `init()`)", extensive=True),
]
METRICS["R3"] = [
    Metric(
        "stored_s",
        "log until stored (table object + `log()` + `finish()`), s (target ≤ 0.25)",
        extensive=True,
    ),
    Metric("log_s", "table object + `log()` call, s", extensive=True),
    Metric("finish_s", "`finish()` after `log()`, s", extensive=True),
    Metric(
        "read_s",
        "read back as a DataFrame (fresh process), the read call, s (target ≤ 0.1)",
        extensive=True,
    ),
    Metric("read_open_s", "read back: open the store and look up the run, s"),
    Metric("read_import_s", "read back: import pandas and pyarrow first (for all alike), s"),
    Metric("disk_mb", "store size on disk after finish, MB", extensive=True),
    Metric("init_s", "`init()`, s"),
    Metric("rss_peak_mb", "peak RSS, MB", extensive=True),
]

COMMON_METRICS = [
    Metric("load1", "1-min load average when the repeat started", ratio=False),
    Metric("wall_s", "wall time of one repeat (incl. process start), s", ratio=False),
]

# Start-up (issue 14): dated, since the tables are re-measured and this is not.
STARTUP = """\
**Start-up, 2026-12-07** (AMD EPYC, 2 cores shared, 1-min load 3.0-4.1; `--only tracklog,W1,W4 \
--repeats 5` before and after, both byte-compiled; CPU is the process's, all threads; wall \
times move with the load, so compare CPU). Targets: `init()` ≤ 0.05 s local and remote, \
opening a store for reading ≤ 0.05 s, RSS gained in `init()` ≤ 30 MB. (The tables below are \
from the latest full run, which may be older and on another machine.)

| fresh process, numpy and tracklog imported | before | after |
|---|---|---|
| `init()` remote (W4 probe): wall / CPU s, RSS MB | 0.214 / 0.146, 20.1 | 0.127 / 0.101, 15.0 |
| `init()` local, existing store (W4 probe) | 0.292 / 0.263, 29.1 | 0.282 / 0.256, 29.1 |
| `init()` local, new store (W1) | 0.361 / 0.322, 25.8 | 0.351 / 0.311, 25.9 |
| open store for reading (W1 `Api(uri).run(id)`): wall / CPU s | 0.262 / 0.228 | 0.263 / 0.236 |

The cut: httpx's command-line client (click, rich, pygments) is no longer imported with httpx \
(`client/httpx_cli.py`). Earlier numbers were also ~40 ms too high: this shell sets \
`PYTHONDONTWRITEBYTECODE`, so every process compiled tracklog from source; the driver now \
byte-compiles the tree first, as pip does. Where the rest goes (imports in the order `init()` \
loads them, then `init()` with everything imported; CPU ms / RSS MB, medians of 9 fresh \
processes, load ~3.6): local `init()` 317 / 32 = SQLAlchemy 156 / 16, schema (27 tables) \
25 / 0.6, the rest of the store 14 / 2.0, fsspec (capture's file upload) 21 / 1.1, the SDK's \
modules 38 / 7.5 (about 60 small imports), capture's modules 23 / 2.1, psutil 9 / 0.9, the work \
itself 31 / 1.9; remote `init()` 144 / 17 = httpx 31 / 3.6, the client with httpcore and h11 \
21 / 1.2, the same SDK, capture and psutil imports, the work 23 / 1.6; `Api(uri).run(id)` \
250 / 28 = SQLAlchemy 183 / 23, the store 43 / 2.7, the SDK 16 / 1.4, the work 9 / 0.9; \
offline `init()` 87 / 11. So local `init()` and opening a store stay above 0.05 s while they \
import SQLAlchemy (0.16-0.18 s of CPU here by itself), and remote `init()` while it imports \
httpx and httpcore (~50 ms) besides the SDK. RSS gained in `init()` is within 30 MB on both \
paths; the *RSS growth from before `init()`* row (the issue's 63 MB) is the peak over the \
whole run: `init()`'s 26 MB plus ~32 MB of rows buffered while the loop logs 1M points in \
~0.2 s, faster than the writer's 0.25 s flush (the log path, not start-up).

**Remote `init()`, second cut** (same machine, 1-min load 1.3-1.8; 7 fresh processes per \
cell, before and after interleaved, a standing `tracklog server` on SQLite, capture on, \
working dir outside git). The probe now times `tracklog.init(...)` with the lookup of \
`tracklog.init` inside, which loads the SDK (35-45 ms: a script pays it); until then it looked \
the function up first. Wall / CPU s, RSS MB:

| `init()`, before → after | SDK load not counted (old probe) | counted (probe now) |
|---|---|---|
| remote | 0.141/0.115, 15.1 → 0.097/0.093, 13.9 | 0.178/0.152 → 0.141/0.140 |
| local, existing store | 0.311/0.289, 29.2 → 0.262/0.262, 27.6 | 0.339/0.316 → 0.298/0.291 |

A second run (load 1.1-1.3, 9 per cell) gave remote 0.124 → 0.104 (old probe) and 0.163 → 0.135 \
(probe now), local 0.308 → 0.261 and 0.334 → 0.287; wall times move ±20 ms between runs here. \
The cut: the one-shot captures (environment, git, packages, code) run on a thread of their own, \
filed by `finish()` at the latest. What is left of remote `init()` is imports (CPU ms, medians \
of 9 fresh processes, load ~1.5): the stdlib modules the SDK needs 13, the SDK 23 \
(`store.records`' seven dataclasses ~7), httpx 37, httpcore with h11 and idna 21, the client 4, \
psutil 11 (the process's start time, recorded with the run so a reused pid is not taken for its \
owner); with all of that imported, `init()` takes 14 ms wall / 10 ms CPU (the server's answer ~5 \
ms). So ≤ 0.05 s is out of reach while `init()` asks the server synchronously whether the run \
exists: it must, to raise a refused token and to warn of a server that does not answer (both \
tested), and httpx with httpcore alone cost ~50-60 ms of CPU here."""

INTRO = {
    "W1": "One run, 20 keys, one `log()` of 20 varying floats per step (full scale: 50,000 "
    "steps = 1M points).\n\n" + STARTUP,
    "W2": "Runs with 20 params (`lr` log-uniform in 1e-4..1e-1), 5 tags, 5 metrics × 100 steps "
    "(`acc` in [0, 1]) each (full scale: 1,000 runs); then "
    '`runs(filter="params.lr < 0.01 and metrics.acc > 0.5", order_by=["metrics.acc DESC"])`.',
    "W3": "Wall time of `python -c 'import X'` minus `python -c pass`, medians of 10 each.",
    "W4": "W1 (20 keys, one `log()` of 20 floats per step; full scale 50,000 steps = 1M points) "
    "logged to a local tracking server on a free loopback port, started by the workload with a "
    "SQLite store in the work dir. Points/s count until every point is stored on the server. "
    "Target: ≥ 300,000 points/s and `log()` within 2× of local mode.",
    "W5": "16 client processes, each logging 100,000 points (10 keys × 10,000 steps), to one "
    "`tracklog server --workers 4` (SQLite) on this machine's cores, started together once all "
    "are ready. Targets: 0 errors and ≥ 300,000 points/s in total.",
    "C1": "What run-context capture (environment, git + diff, packages, console tee, system "
    "sampler) adds to `init()` in a git repository of 1,000 files with 300 installed "
    "distributions, and what the system sampler costs. Targets: ≤ 150 ms added to `init`, "
    "sampler ≤ 1% of one core.",
    "W7": "The same script on mlflow 3.17.2's client against `tracklog server` and against "
    "`mlflow server`, both on SQLite: W1-style ingest with `mlflow.log_metrics(d, step=i)` of "
    "20 floats (synchronous, and with `synchronous=False`), then W2's search at 1,000 runs "
    "(20 params, 5 tags, 5 metrics × 20 steps each, made with `create_run` + one `log_batch`). "
    "Targets: tracklog ≥ 3× faster on ingest, ≥ 5× faster on search.",
    "W6": "A run with one 1,000,000-point series, read through the server: downsampled to "
    "1,000 points (min/max buckets) and at full resolution. Targets: downsampled ≤ 50 ms "
    "(p50), full ≤ 1 s. The *peer-scale* rows read a smaller series of the same run at the "
    "scale the MLflow column used, for the side-by-side: the sampled read is tracklog's "
    "`?samples=1000` vs MLflow's `get-history-bulk-interval?max_results=1000` (what its UI "
    "charts use); the *client library call* is `tracklog.Api(url).run(id).series(k)` vs "
    "`MlflowClient().get_metric_history`.",
    "W9": "Valid requests to `tracklog server --auth` while unauthenticated clients flood it "
    "(full scale: 24 connections, 15 s per flood), each posting a gzip body of 64 MiB of zeros "
    "(64 kB sent) with HTTP basic credentials of a random user name (half of them the real "
    "user's) and a wrong password; once from one address, once spread over many addresses "
    "(`X-Forwarded-For`, trusted from loopback), which no per-address limit stops. The timed "
    "client alternates a token request and an HTTP basic request whose password was verified "
    "before (as the mlflow client sends it with every request).",
    "R1": "One run logs distinct RGB uint8 images of 256×256 (full scale: 1,000; smooth blocks "
    "plus noise, generated before `init()`), one per step, each wrapped in the tracker's image "
    "type inside the timed call (`log({'img': Image(frame)}, step=i)` or its equivalent). "
    "Targets: ≤ 100 µs per call (≥ 30× faster than the best peer), ≥ 400 images/s until stored.",
    "R2": "One run logs a 1,000,000-value float32 array per step as a histogram (full scale: 100 "
    "steps), the tracker's histogram type made inside the timed call. MLflow has no histogram "
    "type (—). Targets: ≤ 2 ms per call and ≤ 0.5 s in total until stored.",
    "R3": "One table of 6 columns (2 int64, 2 float64, 2 str; full scale: 100,000 rows) made "
    "from a pandas DataFrame and logged once; *until stored* is from making the table object "
    "until `finish()` returns. Then, in a fresh process, the table is read back as a DataFrame: "
    "pandas and pyarrow are imported first and opening the store is timed apart from the read "
    "call. Aim and tensorboardX have no table type. Targets: ≤ 0.25 s until stored, ≤ 0.1 s "
    "read.",
    "W8": "The web UI in headless chromium against `tracklog server` (full scale: a project of "
    "10,000 runs; 20 runs × 4 metrics × 100,000 steps; one run with a 1,000,000-point series "
    "and one injected spike). A *first visit* starts from an empty browser profile, so it "
    "includes downloading (1.5 MB gzipped) and compiling plotly.js (4.8 MB); a *second visit* "
    "finds it in the browser's cache, as every visit after the first does. The MLflow column "
    "times the comparable pages of `mlflow server`'s UI on the same data: its experiment page "
    "(runs table) and a run's metric chart.",
}


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, OS and Python of this machine."""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    os_name = platform.platform()
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            rel = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        os_name = f"{rel.get('PRETTY_NAME', '?').strip(chr(34))}, kernel {platform.release()}"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 2**20, 1),
        "os": os_name,
        "python": platform.python_version(),
    }


def derived(res: dict[str, Any]) -> dict[str, Any]:
    """Add display fields computed from a raw result."""
    out = dict(res)
    if "disk_bytes" in res:
        out["disk_mb"] = res["disk_bytes"] / MB
    if "rss_before_mb" in res:
        out["rss_growth_mb"] = res["rss_peak_mb"] - res["rss_before_mb"]
    if res.get("rss_helper_mb") == 0:
        out["rss_helper_mb"] = None
    return out


def fmt(v: float | None) -> str:
    """About three significant figures, thousands separators for large values."""
    if v is None:
        return "n/a"
    if float(v).is_integer():
        return f"{int(v):,}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def stats(case: dict[str, Any], key: str, scale: float) -> tuple[float, float, float] | None:
    """(median, min, max) of a metric over the successful repeats of a case."""
    vals = [r.get(key) for r in case["ok"]]
    vals = [v * scale for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def cell(s: tuple[float, float, float] | None) -> str:
    """'median (min–max)'; just the median when all repeats agree or there is one."""
    if s is None:
        return "n/a"
    med, lo, hi = s
    return fmt(med) if fmt(lo) == fmt(hi) else f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"


def scale_of(case: dict[str, Any]) -> str:
    """Human-readable size of the workload a case ran."""
    r = case["ok"][0] if case["ok"] else {}
    if "scale" in r:  # R1-R3 say it themselves
        return str(r["scale"])
    if "steps" in r:
        return f"{r['steps']:,} steps × {r['keys']} keys = {r['points']:,} pts"
    if "runs" in r:
        return f"{r['runs']:,} runs"
    if "flood_seconds" in r:
        return f"{r['clients']} flood connections × {r['flood_seconds']:g} s, twice"
    if "clients" in r:
        return f"{r['clients']} clients × {r['points_per_client']:,} pts = {r['points']:,} pts"
    if "points" in r:
        return f"{r['points']:,}-pt series (+ {r['small_points']:,}-pt peer-scale series)"
    if "small_points" in r:
        return f"{r['small_points']:,}-pt series"
    return ""


def read_check(case: dict[str, Any]) -> str:
    """Points read back in W1 (first successful repeat), flagged when incomplete."""
    r = case["ok"][0] if case["ok"] else {}
    if "read_one_points" not in r:
        return "n/a"
    flag = "" if r.get("read_ok") else " **incomplete**"
    return f"{r['read_one_points']:,} / {r['read_all_points']:,}{flag}"


def stored_check(case: dict[str, Any]) -> str:
    """W4/W5: points stored on the server / points logged (first successful repeat)."""
    r = case["ok"][0] if case["ok"] else {}
    if "stored_points" not in r:
        return "n/a"
    flag = "" if r["stored_points"] == r["points"] else " **incomplete**"
    return f"{r['stored_points']:,} / {r['points']:,}{flag}"


def w6_check(case: dict[str, Any]) -> str:
    """W6: whether every read returned the expected number of points."""
    r = case["ok"][0] if case["ok"] else {}
    if "read_ok" not in r:
        return "n/a"
    return "yes" if r["read_ok"] else "**no**"


def table_check(case: dict[str, Any]) -> str:
    """R3: rows and columns of the DataFrame read back, flagged when not the table logged."""
    r = case["ok"][0] if case["ok"] else {}
    if "read_rows" not in r:
        return "n/a"
    flag = "" if r.get("read_ok") else " **incomplete**"
    return f"{r['read_rows']:,} × {r['read_columns']}{flag}"


def table(rows: list[list[str]]) -> list[str]:
    """A Markdown table; the first row is the header."""
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return lines + ["| " + " | ".join(r) + " |" for r in rows[1:]]


def same_scale(base: dict[str, Any], case: dict[str, Any], m: Metric) -> bool:
    """Whether an extensive metric of two cases was measured at the same scale."""
    if not m.same:
        return scale_of(base) == scale_of(case)
    b = base["ok"][0].get(m.same) if base["ok"] else None
    c = case["ok"][0].get(m.same) if case["ok"] else None
    return b is not None and b == c


# W7: (peer's value, the client floor's beside it, row title); the floor is the same client
# against a server that answers at once, so floor ÷ peer (for times: peer ÷ floor) is the
# most any server could be faster than the peer, measured at the same load.
REACHABLE = [
    ("sync_points_per_s", "sync_floor_points_per_s", "synchronous points/s"),
    ("async_points_per_s", "async_floor_points_per_s", "`synchronous=False` points/s"),
    ("query_s", "floor_query_s", "`search_runs`"),
]


def reachable_rows(peers: list[dict[str, Any]]) -> list[list[str]]:
    """W7: for each of :data:`REACHABLE`, the ratio a server that answered in no time at all
    would reach against each peer: a floor measured beside the peer's calls saw the same load."""
    rows = []
    for key, floor_key, title in REACHABLE:
        cells = []
        for c in peers:
            peer, floor = stats(c, key, 1.0), stats(c, floor_key, 1.0)
            if peer is None or floor is None or floor[0] == 0 or peer[0] == 0:
                cells.append("n/a")
            else:
                rate = key.endswith("_per_s")
                cells.append(f"×{fmt(floor[0] / peer[0] if rate else peer[0] / floor[0])}")
        rows.append(
            [f"{title}: the client floor beside it ÷ the peer (most any server can reach)", *cells]
        )
    return rows


def workload_section(wl: str, cases: list[dict[str, Any]]) -> list[str]:
    """Results table, ratio table and notes of one workload."""
    out = [f"## {wl} {WORKLOADS[wl]}", "", INTRO[wl], ""]
    heads = ["metric"] + [c["label"] for c in cases]
    rows = [heads, ["version", *[c["version"] for c in cases]]]
    if wl != "W3":
        rows.append(["scale", *[scale_of(c) or "—" for c in cases]])
    failed = [c for c in cases if c["errors"]]
    if failed:
        rows.append(["failed repeats", *[f"{len(c['errors'])}/{len(c['runs'])}" for c in cases]])
    for m in METRICS[wl] + COMMON_METRICS:
        cells = [cell(stats(c, m.key, m.scale)) if c["ok"] else "**error**" for c in cases]
        if any(x not in ("n/a", "**error**") for x in cells):
            rows.append([m.title, *cells])
    if wl == "W1":
        rows.append(["read-back points: 1 series / all", *[read_check(c) for c in cases]])
    if wl in ("W4", "W5", "W7"):
        rows.append(["points stored / logged", *[stored_check(c) for c in cases]])
    if wl == "W6":
        rows.append(["every read returned all points", *[w6_check(c) for c in cases]])
    if wl == "R3":
        rows.append(["rows × columns read back", *[table_check(c) for c in cases]])
    out += table(rows)
    base = next((c for c in cases if c["tracker"] == "tracklog" and c["ok"]), None)
    peers = [c for c in cases if c["tracker"] != "tracklog"]
    if base is not None and peers:
        out += [
            "",
            "Ratio peer / tracklog (medians; for times, >1 means the peer is slower; "
            "for rates, <1 means the peer is slower; n/c = different scale):",
            "",
        ]
        rrows = [["metric", *[c["label"] for c in peers]]]
        for m in METRICS[wl]:
            if not m.ratio:
                continue
            b = stats(base, m.key, 1.0)
            rr = []
            for c in peers:
                s = stats(c, m.key, 1.0)
                if m.extensive and not same_scale(base, c, m):
                    rr.append("n/c")
                elif s is None or b is None or b[0] == 0:
                    rr.append("n/a")
                else:
                    rr.append(f"×{fmt(s[0] / b[0])}")
            if any(x not in ("n/a", "n/c") for x in rr):
                rrows.append([m.title, *rr])
        if wl == "W7":
            rrows += reachable_rows(peers)
        out += table(rrows)
    notes = [f"- **{c['label']}**: {c['note']}" for c in cases if c["note"]]
    if notes:
        out += ["", "Notes:", "", *notes]
    return [*out, ""]


def failures(cases: list[dict[str, Any]]) -> list[str]:
    """Error details (stderr tails) of failed repeats."""
    out: list[str] = []
    for c in cases:
        if not c["errors"]:
            continue
        e = c["errors"][-1]
        tail = "\n".join(e.get("stderr", "").strip().splitlines()[-25:])
        out += [f"### {c['workload']} {c['label']}: {e['error']}", "", "```text", tail, "```", ""]
    return ["## Failures", "", *out] if out else []


def render(stored: dict[str, dict[str, Any]], machine: dict[str, Any], quick: bool) -> str:
    """The whole report."""
    cases = []
    for c in stored.values():
        ok = [derived(r) for r in c["runs"] if "error" not in r]
        cases.append({**c, "ok": ok, "errors": [r for r in c["runs"] if "error" in r]})
    dates = sorted({c["date"] for c in cases})
    commands = sorted({c["command"] for c in cases})
    repeats = sorted({len(c["runs"]) for c in cases})
    wall = sum(r.get("wall_s", 0) for c in cases for r in c["runs"])
    out = [
        "# Benchmarks" + (" (quick smoke run, scaled down)" if quick else ""),
        "",
        "Generated by `bench/run.py` (see `bench/README.md`). Each case ran in a fresh "
        "subprocess in a fresh directory; peers ran in their own venvs. Cells show the median "
        f"of {'/'.join(map(str, repeats))} repeat(s) with (min–max).",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM",
        f"- OS: {machine['os']}; Python {machine['python']}",
        f"- Date: {', '.join(dates)}",
        "- Command: " + "; ".join(f"`{c}`" for c in commands),
        f"- Wall time of all repeats shown: {wall / 60:.1f} min",
        "",
        "The machine may be shared: each table has the 1-min load average at the start of each "
        f"repeat; with {machine['cores']} cores, a load near or above that means contention.",
        "",
    ]
    for wl in WORKLOADS:
        wl_cases = [c for c in cases if c["workload"] == wl]
        if wl_cases:
            out += workload_section(wl, wl_cases)
    out += failures(cases)
    return "\n".join(out).rstrip() + "\n"
