"""The benchmark matrix: which workload script runs for which tracker, at which scale."""

from __future__ import annotations

from dataclasses import dataclass, field

FULL = {
    "w1_steps": 50_000,
    "w1_mlflow_steps": 1_000,
    "w2_runs": 1_000,
    "w2_mlflow_runs": 100,
    "w3_n": 10,
}
QUICK = {"w1_steps": 2_000, "w1_mlflow_steps": 200, "w2_runs": 50, "w2_mlflow_runs": 10, "w3_n": 3}

WORKLOADS = {
    "W1": "log-scalars",
    "W2": "many-runs",
    "W3": "import time",
}


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
        Case("W2", "tracklog", "tracklog", "tracklog_w2.py", w2),
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
        Case("W3", "tracklog", "tracklog", "w3_import.py", (*w3, "--module", "tracklog")),
        Case("W3", "trackio", "trackio", "w3_import.py", (*w3, "--module", "trackio")),
        Case("W3", "wandb", "wandb", "w3_import.py", (*w3, "--module", "wandb")),
        Case("W3", "mlflow", "mlflow", "w3_import.py", (*w3, "--module", "mlflow")),
    ]


def select(cases: list[Case], only: str | None, peers: list[str]) -> list[Case]:
    """Filter by ``--only``: comma-separated tokens among tracklog, peers, a peer name, W1-W3.

    Tracker tokens and workload tokens are combined with AND (``peers,W1`` = peers on W1).
    """
    if not only:
        return cases
    tokens = {t.strip() for t in only.split(",") if t.strip()}
    unknown = tokens - {"tracklog", "peers", *peers, *WORKLOADS}
    if unknown:
        raise SystemExit(f"--only: unknown token(s) {sorted(unknown)}")
    trackers = {t for t in tokens if t not in WORKLOADS}
    if "peers" in trackers:
        trackers |= set(peers)
    workloads = tokens & set(WORKLOADS)
    return [
        c
        for c in cases
        if (not trackers or c.tracker in trackers) and (not workloads or c.workload in workloads)
    ]
