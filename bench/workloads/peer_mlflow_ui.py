"""W8 on MLflow's web UI: the runs table and a run's metric chart of ``mlflow server``, timed in
the same headless chromium as tracklog's UI (``tracklog_ui.py``), on the same data.

Setup (timed separately): MLflow's own ``SqlAlchemyStore`` creates the SQLite store and one
template run of each data set (its params, tags and metrics written by ``log_batch``); the other
rows are copies of the template's rows written with ``sqlite3`` in bulk (new run ids, names and
values), as many as ``mlflow server`` would hold after logging them: logging through the server
runs at ≈3,000 points/s, so 1M points would take 6 min. Data sets: ``--runs`` finished runs in
experiment ``w2`` (20 params and 5 metrics each, one point per metric), and experiment ``big``
with one run holding a ``--points``-point series ``signal`` with one injected spike (the same
values as tracklog's W8). Then ``mlflow server`` (SQLite, default settings) and the browser
part, run from ``ui_browser.py`` by the Python named in ``W8_BROWSER_PYTHON`` (the dev venv's,
which has Playwright):

- runs table: navigation to the experiment page until its first run rows are drawn;
- big series: navigation to the run's "Model metrics" tab until the chart of ``signal`` has
  drawn its line; whether the line holds the spike.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import common
import numpy as np
from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from peer_mlflow_server import mlflow_server, server_info
from servers import exit_on_sigterm
from w8_data import SPIKE, big_signal

PARAMS = 20
METRICS = ("acc", "loss", "lr_now", "val_acc", "val_loss")
BROWSER = Path(__file__).with_name("ui_browser.py")


def template_run(
    store: SqlAlchemyStore, exp: str, name: str, t0: int, metrics: list[Metric], params: list[Param]
) -> str:
    run = store.create_run(exp, user_id="bench", start_time=t0, tags=[], run_name=name)
    run_id = run.info.run_id
    store.log_batch(run_id, metrics=metrics, params=params, tags=[RunTag("team", "bench")])
    store.update_run_info(run_id, RunStatus.FINISHED, t0 + 60_000, name)
    return run_id


def rows(conn: sqlite3.Connection, table: str, run_id: str) -> tuple[list[str], list[tuple]]:
    cur = conn.execute(f"SELECT * FROM {table} WHERE run_uuid = ?", (run_id,))
    return [d[0] for d in cur.description], cur.fetchall()


def insert(conn: sqlite3.Connection, table: str, cols: list[str], values: list[tuple]) -> None:
    marks = ", ".join("?" * len(cols))
    conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", values)


def fill_runs(db: Path, store: SqlAlchemyStore, n: int, t0: int) -> str:
    """Experiment ``w2`` with ``n`` finished runs (one template, ``n - 1`` copies); answers
    the experiment's id."""
    rng = np.random.default_rng(1)
    exp = store.create_experiment("w2")
    acc = rng.uniform(0.05, 0.95, n)
    loss = -np.log(acc)
    values = {
        "acc": acc,
        "loss": loss,
        "lr_now": 10 ** rng.uniform(-4, -1, n),
        "val_acc": acc * 0.97,
        "val_loss": loss * 1.05,
    }
    extra = rng.random((n, PARAMS))
    first = template_run(
        store,
        exp,
        "w2-00000",
        t0,
        [Metric(k, float(values[k][0]), t0, 0) for k in METRICS],
        [Param(f"p{j:02d}", repr(float(extra[0, j]))) for j in range(PARAMS)],
    )
    ids = [uuid.uuid4().hex for _ in range(n)]

    def copy(table: str, rec: dict[str, Any], i: int) -> None:
        name = f"w2-{i:05d}"
        if table == "runs":
            rec.update(name=name, start_time=t0 + i * 1000, end_time=t0 + i * 1000 + 60_000)
        elif table == "tags" and rec["key"] == "mlflow.runName":
            rec["value"] = name
        elif table == "params":
            rec["value"] = repr(float(extra[i, int(rec["key"][1:])]))
        elif table in ("metrics", "latest_metrics"):
            rec["value"] = float(values[rec["key"]][i])

    with sqlite3.connect(db) as conn:
        for table in ("runs", "tags", "params", "metrics", "latest_metrics"):
            cols, template = rows(conn, table, first)
            out = []
            for i in range(1, n):
                for row in template:
                    rec = dict(zip(cols, row, strict=True))
                    rec["run_uuid"] = ids[i]
                    copy(table, rec, i)
                    out.append(tuple(rec[c] for c in cols))
            insert(conn, table, cols, out)
    return exp


def fill_big(db: Path, store: SqlAlchemyStore, points: int, t0: int) -> tuple[str, str]:
    """Experiment ``big``: one run with the ``points``-point series ``signal``; its last point
    through ``log_batch`` (so MLflow's latest-metric row is its own), the others copied."""
    exp = store.create_experiment("big")
    values = big_signal(points)
    last = points - 1
    run_id = template_run(
        store, exp, "million", t0, [Metric("signal", float(values[last]), t0 + last, last)], []
    )
    with sqlite3.connect(db) as conn:
        cols, (template,) = rows(conn, "metrics", run_id)
        at = {c: i for i, c in enumerate(cols)}
        out = []
        for step in range(last):
            row = list(template)
            row[at["value"]], row[at["step"]], row[at["timestamp"]] = (
                float(values[step]),
                step,
                t0 + step,
            )
            out.append(tuple(row))
        insert(conn, "metrics", cols, out)
    return exp, run_id


# A run row of the experiment page's runs table (ag-grid) with its link to the run.
TABLE_DRAWN = "document.querySelector('[role=gridcell] a[href*=\\'/runs/\\']') !== null"
# The run's metric chart (react-plotly) holds a trace with points and has drawn its SVG line.
CHART_DRAWN = (
    "[...document.querySelectorAll('.js-plotly-plot')].some(el => el.data?.[0]?.x?.length > 0"
    " && el.querySelector('.scatterlayer path.js-line')?.getAttribute('d')?.length > 0)"
)
CHART_STATS = """(() => {
  const el = document.querySelector('.js-plotly-plot');
  return {points: Math.max(...el.data.map(d => d.x.length)),
          peak: Math.max(...el.data.flatMap(d => [...d.y])),
          top: el._fullLayout.yaxis.range[1]};
})()"""


def browse(url: str, pages: dict[str, Any], repeats: int) -> dict[str, Any]:
    """The pages timed by ``ui_browser.py`` in the dev venv's Python."""
    spec = {"url": url, "repeats": repeats, "api": "/ajax-api/", "pages": pages}
    python = os.environ.get("W8_BROWSER_PYTHON") or "python3"
    out = subprocess.run(
        [python, str(BROWSER), json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise RuntimeError(f"the browser part failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def main() -> None:
    exit_on_sigterm()
    args = common.parse_args()
    db = args.store / "mlflow.db"
    t0 = int(time.time() * 1000) - 3_600_000

    def fill() -> tuple[str, str, str]:
        store = SqlAlchemyStore(f"sqlite:///{db}", str(args.store / "art"))
        table_exp = fill_runs(db, store, args.runs, t0)
        big_exp, big_run = fill_big(db, store, args.points, t0)
        store.engine.dispose()
        return table_exp, big_exp, big_run

    (table_exp, big_exp, big_run), fill_s = common.timed(fill)
    repeats = max(3, args.requests // 4)
    with mlflow_server(args) as srv:
        pages = {
            "table": {"path": f"/#/experiments/{table_exp}/runs", "done": TABLE_DRAWN},
            "big": {
                "path": f"/#/experiments/{big_exp}/runs/{big_run}/model-metrics",
                "done": CHART_DRAWN,
                "stats": CHART_STATS,
            },
        }
        timed = browse(srv.url, pages, repeats)
        result: dict[str, Any] = {
            "runs": args.runs,
            "points": args.points,
            "fill_s": fill_s,
            "table_first_rows_s": statistics.median(timed["table"]["cold"]),
            "table_first_rows_max_s": max(timed["table"]["cold"]),
            "big_cold_s": statistics.median(timed["big"]["cold"]),
            "big_warm_s": statistics.median(timed["big"]["warm"]),
            "big_payload_bytes": timed["big"]["payload"],
            "big_points_drawn": timed["big"]["stats"]["points"],
            "big_spike_visible": int(
                timed["big"]["stats"]["peak"] == SPIKE and timed["big"]["stats"]["top"] >= SPIKE
            ),
            "server_startup_s": srv.startup_s,
            "repeats": repeats,
        }
        result.update(server_info(srv))
    common.emit(result)


if __name__ == "__main__":
    main()
