"""The benchmark matrix: which workload script runs for which tracker, at which scale."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

FULL = {
    "w1_steps": 50_000,
    "w1_mlflow_steps": 1_000,
    "w2_runs": 1_000,
    "w2_mlflow_runs": 100,
    "w2_bulk_runs": 100_000,
    "w3_n": 10,
    "w4_mlflow_metrics_steps": 200,
    "w4_mlflow_batch_steps": 2_500,
    "w5_steps": 10_000,
    "w6_points": 1_000_000,
    "w6_small_points": 50_000,
    "c1_n": 7,
    "w8_runs": 10_000,
    "w8_steps": 100_000,
    "w8_points": 1_000_000,
    "w7_steps": 200,
    "w7_async_steps": 500,
    "w7_runs": 1_000,
    "w9_clients": 24,
    "w9_seconds": 15,
    "r1_images": 1_000,
    "r2_steps": 100,
    "r3_rows": 100_000,
    "r3_big_rows": 10_000_000,
}
QUICK = {
    "w1_steps": 2_000,
    "w1_mlflow_steps": 200,
    "w2_runs": 50,
    "w2_mlflow_runs": 10,
    "w2_bulk_runs": 5_000,
    "w3_n": 3,
    "w4_mlflow_metrics_steps": 20,
    "w4_mlflow_batch_steps": 200,
    "w5_steps": 1_000,
    "w6_points": 100_000,
    "w6_small_points": 5_000,
    "c1_n": 2,
    "w8_runs": 1_000,
    "w8_steps": 10_000,
    "w8_points": 100_000,
    "w7_steps": 20,
    "w7_async_steps": 200,
    "w7_runs": 50,
    "w9_clients": 8,
    "w9_seconds": 5,
    "r1_images": 50,
    "r2_steps": 10,
    "r3_rows": 10_000,
    "r3_big_rows": 1_000_000,
}

WORKLOADS = {
    "W1": "log-scalars",
    "W2": "many-runs",
    "W3": "import time",
    "W4": "server ingest",
    "W5": "server concurrency",
    "W6": "server read",
    "W7": "mlflow client: tracklog server vs mlflow server",
    "W8": "web UI",
    "W9": "server auth flood",
    "C1": "run-context capture",
    "R1": "images",
    "R2": "histograms",
    "R3": "tables",
}
# Extra --only tokens that name single cases (matched against Case.alias).
ALIASES = {"W2-100k", "R3-10M"}


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: a workload on one tracker (or one variant of it)."""

    workload: str  # "W1" | "W2" | "W3"
    tracker: str  # "tracklog" or a peer name from venvs.PEERS
    label: str  # column heading in the report
    script: str  # file in bench/workloads/
    args: tuple[str, ...] = ()
    note: str = ""
    env: dict[str, str] = field(default_factory=dict, hash=False)
    alias: str = ""  # an extra --only token for this case
    max_repeats: int | None = None  # cap on --repeats for slow cases
    timeout_s: int = 3600  # the whole repeat (servers included) is killed after this

    @property
    def key(self) -> str:
        """Stable id used in the results file."""
        return f"{self.workload}/{self.label}"


def all_cases(quick: bool) -> list[Case]:
    """Every case of the matrix at full or quick scale."""
    s = QUICK if quick else FULL
    w1 = ("--steps", str(s["w1_steps"]), "--keys", "20")
    w1_ml = ("--steps", str(s["w1_mlflow_steps"]), "--keys", "20")
    w2 = ("--runs", str(s["w2_runs"]), "--run-steps", "100")
    w2_ml = ("--runs", str(s["w2_mlflow_runs"]), "--run-steps", "100")
    mlflow_query = (
        "MLflow stores params as strings and compares them as strings, so the query is "
        "`search_runs(filter_string='metrics.acc > 0.5', order_by=['metrics.acc DESC'])` "
        "and `lr < 0.01` is applied in Python to the returned rows (included in the time)."
    )
    w3 = ("--n", str(s["w3_n"]))
    return [
        *base_cases(s, w1, w1_ml, w2, w2_ml, w3, mlflow_query),
        *server_cases(s, w1),
        Case(
            "C1",
            "tracklog",
            "tracklog",
            "tracklog_capture.py",
            ("--n", str(s["c1_n"])),
            "A repository of 1,000 files (10 changed, 5 untracked) and 300 installed "
            "distributions (the venv's plus empty ones); `init()` timed in fresh processes, "
            "capture on (defaults) and off (`TRACKLOG_CAPTURE=0`) interleaved.",
            timeout_s=900,
        ),
        *ui_cases(s),
        *mlflow_client_cases(s),
        Case(
            "W9",
            "tracklog",
            "tracklog server --auth",
            "tracklog_auth_flood.py",
            ("--clients", str(s["w9_clients"]), "--seconds", str(s["w9_seconds"])),
            "`tracklog server --auth --workers 1` (SQLite); the user's password hashed with "
            "the default argon2 costs (64 MiB, 3 passes); the flood in a process of its own.",
            timeout_s=600,
        ),
        *rich_cases(s),
    ]


def base_cases(
    s: dict[str, int],
    w1: tuple[str, ...],
    w1_ml: tuple[str, ...],
    w2: tuple[str, ...],
    w2_ml: tuple[str, ...],
    w3: tuple[str, ...],
    mlflow_query: str,
) -> list[Case]:
    """W1-W3 on tracklog and its peers."""
    return [
        Case("W1", "tracklog", "tracklog", "tracklog_w1.py", w1),
        Case(
            "W1",
            "trackio",
            "trackio",
            "peer_trackio_w1.py",
            w1,
            "local mode; rows are queued and written by a background thread; read back with "
            "`trackio.SQLiteStorage` (its public `Api` has no metric history), all series "
            "in one `get_logs` call.",
        ),
        Case(
            "W1",
            "wandb",
            "wandb (offline)",
            "peer_wandb_w1.py",
            w1,
            "`WANDB_MODE=offline`; the wandb-core service process does the writing (its peak "
            "RSS is the *helper* row); offline runs have no local read API (readable only after "
            "`wandb sync` to a server), so read-back is n/a.",
            {"WANDB_MODE": "offline", "WANDB_SILENT": "true"},
        ),
        Case(
            "W1",
            "mlflow",
            "mlflow log_metrics",
            "peer_mlflow_w1.py",
            (*w1_ml, "--mode", "log_metrics"),
            f"SQLite store; `mlflow.log_metrics(d, step=i)` per step, **scaled down to "
            f"20 keys × {s['w1_mlflow_steps']:,} steps**, so finish, disk and read-back numbers "
            "are not comparable in absolute terms (per-call and per-point numbers are).",
        ),
        Case(
            "W1",
            "mlflow",
            "mlflow log_batch",
            "peer_mlflow_w1.py",
            (*w1, "--mode", "log_batch"),
            "SQLite store; `MlflowClient().log_batch` with rows buffered client-side and sent "
            "1,000 metrics per call (MLflow's per-call maximum), full scale.",
        ),
        Case(
            "W2",
            "tracklog",
            "tracklog",
            "tracklog_w2.py",
            w2,
            "Run-context capture (git, packages, console, system sampler; ~10 ms per run after "
            "the first) is switched off with `TRACKLOG_CAPTURE=0`: W2 measures the store.",
            env={"TRACKLOG_CAPTURE": "0"},
        ),
        Case(
            "W2",
            "mlflow",
            "mlflow log_metrics",
            "peer_mlflow_w2.py",
            (*w2_ml, "--mode", "log_metrics"),
            "SQLite store; per run `start_run(tags=5)`, `log_params(20)`, then "
            "`log_metrics(5 values, step=i)` × 100 as a training loop would; **scaled down to "
            f"{s['w2_mlflow_runs']:,} runs** (≈10 ms per call), so only runs/s is comparable. "
            + mlflow_query,
        ),
        Case(
            "W2",
            "mlflow",
            "mlflow log_batch",
            "peer_mlflow_w2.py",
            (*w2, "--mode", "log_batch"),
            "SQLite store; per run `start_run(tags=5)` and one `MlflowClient().log_batch` with "
            "the 20 params and all 500 metric points (MLflow's fast path; it needs the whole "
            "history up front, unlike per-step logging). " + mlflow_query,
        ),
        Case(
            "W2",
            "tracklog",
            f"tracklog {s['w2_bulk_runs'] // 1000}k runs (query only)",
            "tracklog_w2_bulk.py",
            ("--runs", str(s["w2_bulk_runs"]), "--run-steps", "100", "--queries", "6"),
            "query only: the store is filled in bulk in an untimed setup step (SQLAlchemy Core "
            "inserts into the schema `Store(uri)` created, 10,000 runs per transaction: `runs`, "
            "20 `params` per run made by the store's `param_row`, 5 `run_labels`, the 5 metrics' "
            "last values as derived `run_summary` rows; no metric points), with W2's parameter "
            "distributions drawn in bulk; then the W2 query in a fresh process, cold and median "
            "of 5, and the same query with `limit=100`. Target: ≤ 500 ms at 100,000 runs.",
            alias="W2-100k",
            max_repeats=1,
            timeout_s=900,
        ),
        Case("W3", "tracklog", "tracklog", "w3_import.py", (*w3, "--module", "tracklog")),
        Case("W3", "trackio", "trackio", "w3_import.py", (*w3, "--module", "trackio")),
        Case("W3", "wandb", "wandb", "w3_import.py", (*w3, "--module", "wandb")),
        Case("W3", "mlflow", "mlflow", "w3_import.py", (*w3, "--module", "mlflow")),
    ]


def server_cases(s: dict[str, int], w1: tuple[str, ...]) -> list[Case]:
    """W4-W6 on a local tracklog server, and W4/W6 on a local MLflow server."""
    w5 = ("--clients", "16", "--workers", "4", "--steps", str(s["w5_steps"]), "--keys", "10")
    w6 = ("--points", str(s["w6_points"]), "--small-points", str(s["w6_small_points"]))
    mlflow_server = (
        "`mlflow server --backend-store-uri sqlite:///…` on a free loopback port with its "
        "default settings (4 uvicorn workers plus its job runner and huey consumer processes; "
        "server memory is summed over that whole process tree)"
    )
    return [
        Case(
            "W4",
            "tracklog",
            "tracklog server",
            "tracklog_w4.py",
            (*w1, "--workers", "1"),
            "`tracklog server --workers 1` (SQLite) started by the workload; the run logs with "
            "`TRACKLOG_URI=http://127.0.0.1:PORT`; after `finish()` the series counts are "
            "polled until every point is stored. Local-mode W1 runs first in the same repeat "
            "for the ratio rows.",
            timeout_s=600,
        ),
        Case(
            "W4",
            "mlflow",
            "mlflow server log_metrics",
            "peer_mlflow_server.py",
            (
                "--steps",
                str(s["w4_mlflow_metrics_steps"]),
                "--keys",
                "20",
                "--mode",
                "w4_log_metrics",
            ),
            f"{mlflow_server}; `mlflow.log_metrics(d, step=i)` per step, **scaled down to 20 "
            f"keys × {s['w4_mlflow_metrics_steps']:,} steps** (each call is an HTTP request "
            "that waits for the SQLite write).",
            max_repeats=1,
            timeout_s=600,
        ),
        Case(
            "W4",
            "mlflow",
            "mlflow server log_batch",
            "peer_mlflow_server.py",
            ("--steps", str(s["w4_mlflow_batch_steps"]), "--keys", "20", "--mode", "w4_log_batch"),
            f"{mlflow_server}; `MlflowClient().log_batch` with rows buffered client-side into "
            f"calls of 1,000 metrics, **scaled down to 20 keys × "
            f"{s['w4_mlflow_batch_steps']:,} steps**.",
            max_repeats=1,
            timeout_s=600,
        ),
        Case(
            "W5",
            "tracklog",
            "tracklog server, SDK clients",
            "tracklog_w5.py",
            (*w5, "--mode", "sdk"),
            "16 processes each run `tracklog.init` → `log()` of 10 floats × "
            f"{s['w5_steps']:,} steps → `finish()` against one `tracklog server --workers 4`; "
            "released together after all are ready. The SDK does not expose its request "
            "timings, so there is no latency here (see the replay column).",
            timeout_s=600,
        ),
        Case(
            "W5",
            "tracklog",
            "tracklog server, ingest replay",
            "tracklog_w5.py",
            (*w5, "--mode", "replay", "--batch-steps", "1000"),
            "16 load-generator processes, each creating a run (`POST /api/v1/runs`) and posting "
            "pre-encoded journal-format `append_metrics` records of 1,000 steps × 10 series "
            "(10,000 points, 240 kB) to `POST /api/v1/ingest` with httpx, one request at a "
            "time, timing each request on the client (send → response read); "
            "`tracklog server --workers 4`.",
            timeout_s=600,
        ),
        Case(
            "W5",
            "tracklog",
            "tracklog server, ingest replay, small requests",
            "tracklog_w5.py",
            (*w5, "--mode", "replay", "--batch-steps", "100"),
            "as the replay column, with records of 100 steps × 10 series (1,000 points, 24 kB) "
            "per request: ten times the requests, as from slowly logging clients.",
            timeout_s=600,
        ),
        Case(
            "W6",
            "tracklog",
            "tracklog server",
            "tracklog_w6.py",
            (*w6, "--batch-steps", "100000", "--requests", "20"),
            "`tracklog server --workers 1` (SQLite); the series are written with "
            "`POST /api/v1/ingest` (100,000 points per request) before the reads; reads from "
            "one keep-alive httpx client.",
            timeout_s=600,
        ),
        Case(
            "W6",
            "mlflow",
            "mlflow server",
            "peer_mlflow_server.py",
            ("--mode", "w6", "--points", str(s["w6_small_points"]), "--requests", "20"),
            f"{mlflow_server}; one series of **{s['w6_small_points']:,} points** (writing 1M "
            "points at ≈2,000–3,000 points/s would take 6–8 min) written with `log_batch` "
            "(1,000 per call); sampled read = the UI's `GET /ajax-api/2.0/mlflow/metrics/"
            "get-history-bulk-interval?max_results=1000`; full read = `MlflowClient()."
            "get_metric_history` and plain `GET /api/2.0/mlflow/metrics/get-history`.",
            max_repeats=1,
            timeout_s=600,
        ),
    ]


def ui_cases(s: dict[str, int]) -> list[Case]:
    """W8: the web UI's pages timed in headless chromium, tracklog's and MLflow's."""
    args = ("--runs", str(s["w8_runs"]), "--points", str(s["w8_points"]), "--requests", "12")
    return [
        Case(
            "W8",
            "tracklog",
            "tracklog server + chromium",
            "tracklog_ui.py",
            (*args, "--steps", str(s["w8_steps"])),
            "`tracklog server --workers 1` (SQLite) and Debian's chromium driven by Playwright "
            "(`--headless --disable-gpu`: WebGL is emulated in software), 1280×900 window.",
            timeout_s=900,
        ),
        Case(
            "W8",
            "mlflow",
            "mlflow server + chromium",
            "peer_mlflow_ui.py",
            args,
            "`mlflow server --backend-store-uri sqlite:///…` (default settings) and the same "
            "chromium. Same data at full scale: MLflow's `SqlAlchemyStore` writes one template "
            "run per data set, and its rows are copied in bulk with sqlite3 (logging 1M points "
            "through the server would take ≈6 min). *First rows drawn*: the experiment page "
            "(`#/experiments/ID/runs`) until a run-name link shows in its grid; *drawn*: the "
            "run's *Model metrics* tab until its plotly chart has a trace with points and an "
            "SVG line path. MLflow's UI samples a series to 320 points "
            "(`get-history-bulk-interval?max_results=320`). The 20-run charts and the sort "
            "are not measured on MLflow (its comparable views differ).",
            env={"W8_BROWSER_PYTHON": sys.executable},  # Playwright lives in the dev venv
            timeout_s=1500,
        ),
    ]


def mlflow_client_cases(s: dict[str, int]) -> list[Case]:
    """W7: one mlflow-client workload against both servers (mlflow 3.17.2 as the client in
    both: the dev venv pins the same version as the mlflow peer venv)."""
    args = (
        "--steps",
        str(s["w7_steps"]),
        "--async-steps",
        str(s["w7_async_steps"]),
        "--keys",
        "20",
        "--runs",
        str(s["w7_runs"]),
        "--run-steps",
        "20",
    )
    return [
        Case(
            "W7",
            "tracklog",
            "tracklog server",
            "mlflow_client_servers.py",
            (*args, "--server", "tracklog"),
            "`tracklog server --workers 1` (SQLite), the MLflow routes under `/api/2.0/mlflow`.",
            timeout_s=900,
        ),
        Case(
            "W7",
            "mlflow",
            "mlflow server",
            "mlflow_client_servers.py",
            (*args, "--server", "mlflow"),
            "`mlflow server --backend-store-uri sqlite:///…` with its default settings (4 "
            "uvicorn workers plus its job runner and huey consumers).",
            timeout_s=1500,
        ),
    ]


def rich_cases(s: dict[str, int]) -> list[Case]:
    """R1-R3: images, histograms and tables on tracklog and on each peer that has the type."""
    r1 = ("--mode", "r1", "--steps", str(s["r1_images"]), "--size", "256")
    r2 = ("--mode", "r2", "--steps", str(s["r2_steps"]), "--values", "1000000")
    r3 = ("--mode", "r3", "--rows", str(s["r3_rows"]))
    scripts = {
        "tracklog": "tracklog_rich.py",
        "wandb": "peer_wandb_rich.py",
        "mlflow": "peer_mlflow_rich.py",
        "aim": "peer_aim_rich.py",
        "tensorboardX": "peer_tensorboardx_rich.py",
        "trackio": "peer_trackio_rich.py",
    }
    labels = {"wandb": "wandb (offline)"}
    notes = {
        "wandb": "`WANDB_MODE=offline`; `finish()` returns once the wandb-core service has "
        "the data. Offline runs have no local read API, so no table read-back.",
        "aim": "`aim.Run(repo=<store>, system_tracking_interval=None)`, `run.track(value, "
        "name=, step=)`, `run.close()`.",
        "tensorboardX": "`SummaryWriter(logdir=<store>)`; `add_image(..., dataformats='HWC')` "
        "and `add_histogram` encode in the call; `close()` flushes the event file.",
        "trackio": "`trackio.finish()` waits for its background writer. Read back: "
        "`SQLiteStorage.get_logs` (the public `Api` has no table access), the logged "
        "table's rows made a DataFrame.",
        "mlflow": "SQLite store, local artifact root.",
    }
    which = {
        "R1": ("tracklog", "wandb", "aim", "tensorboardX", "trackio"),
        "R2": ("tracklog", "wandb", "aim", "tensorboardX", "trackio"),
        "R3": ("tracklog", "wandb", "trackio"),
    }

    def cases_of(wl: str, args: tuple[str, ...]) -> list[Case]:
        return [
            Case(wl, t, labels.get(t, t), scripts[t], args, notes.get(t, ""), timeout_s=1200)
            for t in which[wl]
        ]

    mlflow_r1 = [
        Case(
            "R1",
            "mlflow",
            "mlflow log_image",
            scripts["mlflow"],
            r1,
            notes["mlflow"] + " `mlflow.log_image(frame, key=, step=)` with its default "
            "`synchronous=False`; finish = `flush_async_logging()`, "
            "`flush_artifact_async_logging()`, `end_run()`.",
            timeout_s=1200,
        ),
        Case(
            "R1",
            "mlflow",
            "mlflow log_image sync",
            scripts["mlflow"],
            ("--mode", "r1-sync", *r1[2:]),
            notes["mlflow"] + " `mlflow.log_image(..., synchronous=True)`.",
            timeout_s=1200,
        ),
    ]
    mlflow_r3 = Case(
        "R3",
        "mlflow",
        "mlflow log_table",
        scripts["mlflow"],
        r3,
        notes["mlflow"] + " `mlflow.log_table(frame, artifact_file='t.parquet')`; read back "
        "with `mlflow.load_table('t.parquet', run_ids=[id])`.",
        timeout_s=1200,
    )
    big = s["r3_big_rows"]
    tracklog_big = Case(
        "R3",
        "tracklog",
        f"tracklog {big / 1e6:g}M rows",
        scripts["tracklog"],
        ("--mode", "r3", "--rows", str(big)),
        "The table has no row cap: the same workload at 100× the rows, once (the DataFrame "
        "alone takes a few GB).",
        alias="R3-10M",
        max_repeats=1,
        timeout_s=900,
    )
    return [
        *cases_of("R1", r1),
        *mlflow_r1,
        *cases_of("R2", r2),
        *cases_of("R3", r3),
        mlflow_r3,
        tracklog_big,
    ]


def select(cases: list[Case], only: str | None, peers: list[str]) -> list[Case]:
    """Filter by ``--only``: comma-separated tokens among tracklog, peers, a peer name, W1-W9,
    R1-R3 and the case aliases in :data:`ALIASES` (``W2-100k``, ``R3-10M``).

    Tracker tokens and workload tokens are combined with AND (``peers,W1`` = peers on W1).
    """
    if not only:
        return cases
    tokens = {t.strip() for t in only.split(",") if t.strip()}
    unknown = tokens - {"tracklog", "peers", *peers, *WORKLOADS, *ALIASES}
    if unknown:
        raise SystemExit(f"--only: unknown token(s) {sorted(unknown)}")
    trackers = {t for t in tokens if t not in WORKLOADS and t not in ALIASES}
    if "peers" in trackers:
        trackers |= set(peers)
    workloads = tokens & (set(WORKLOADS) | ALIASES)
    return [
        c
        for c in cases
        if (not trackers or c.tracker in trackers)
        and (not workloads or c.workload in workloads or c.alias in workloads)
    ]
