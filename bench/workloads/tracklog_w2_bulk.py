"""W2 query at scale: the W2 query on a store of ``--runs`` (100,000) runs filled in bulk.

Creating 100,000 runs through the SDK takes far too long for a benchmark run, so the store is
filled in a setup step that is timed but not part of the result: ``Store(uri)`` creates the
schema, then SQLAlchemy Core inserts write the rows the SDK would write for a finished W2 run,
10,000 runs per transaction: ``runs`` (status FINISHED, the config JSON), ``params`` (20 per
run, made by the store's own ``param_row``), ``run_labels`` (5) and ``run_summary`` (the last
value of the 5 metrics, as derived summaries). No metric points are written (the query reads
only runs, params, run_summary, and tags/labels/summary of the matches). Parameters follow W2's
distributions (``lr`` log-uniform in 1e-4..1e-1, ``acc`` ending near a uniform target), drawn
in bulk with numpy. The store is checkpointed as ``finish()`` does. Then, in a fresh process,
the W2 query runs ``--queries`` times: the first (cold) call and the median of the others; then
the same query with ``limit=100`` (a first page), median of ``--queries - 1``.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from typing import Any

import common
import numpy as np
from sqlalchemy import insert
from tracklog_w2 import api, query

from tracklog.store import json_output, schema
from tracklog.store.engine import checkpoint, writing
from tracklog.store.params import param_row
from tracklog.store.tracking import Store

CHUNK = 10_000
OPTIMIZERS = ["adam", "adamw", "sgd", "lion"]
MODELS = ["resnet18", "resnet50", "vit-s", "mlp"]


def generate(n: int, steps: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Column arrays of ``n`` runs' params and final metric values (W2's distributions)."""
    rng = np.random.default_rng(seed)
    target = rng.uniform(0.05, 0.95, n)
    acc = np.clip(target * (1 - np.exp(-steps / 15)) + rng.normal(0, 0.01, n), 0, 1)
    loss = -np.log(np.clip(acc, 1e-3, None)) + rng.normal(0, 0.01, n)
    lr = 10 ** rng.uniform(-4, -1, n)
    return {
        "lr": lr,
        "batch_size": rng.choice([32, 64, 128, 256], n),
        "optimizer": rng.integers(0, len(OPTIMIZERS), n),
        "model": rng.integers(0, len(MODELS), n),
        "dropout": rng.uniform(0, 0.5, n),
        "weight_decay": 10 ** rng.uniform(-6, -2, n),
        "epochs": rng.integers(1, 100, n),
        "warmup": rng.integers(0, 1000, n),
        "amp": rng.integers(0, 2, n),
        "extra": rng.random((n, 10)),
        "acc": acc,
        "loss": loss,
        "lr_now": lr * np.cos(np.pi * (steps - 1) / (2 * steps)),
    }


def run_params(cols: dict[str, np.ndarray], i: int) -> dict[str, Any]:
    """The 20 params of run ``i`` as the SDK's config dict."""
    params: dict[str, Any] = {
        "lr": float(cols["lr"][i]),
        "batch_size": int(cols["batch_size"][i]),
        "optimizer": OPTIMIZERS[cols["optimizer"][i]],
        "model": MODELS[cols["model"][i]],
        "dropout": float(cols["dropout"][i]),
        "weight_decay": float(cols["weight_decay"][i]),
        "epochs": int(cols["epochs"][i]),
        "seed": i,
        "warmup": int(cols["warmup"][i]),
        "amp": bool(cols["amp"][i]),
    }
    for j in range(10):
        params[f"p{j}"] = float(cols["extra"][i, j])
    return params


def fill(store: Store, cols: dict[str, np.ndarray], n: int) -> int:
    """Insert ``n`` finished runs with params, labels and summaries; return the rows written."""
    exp = store.get_or_create_project("w2")
    host, pid, t0 = socket.gethostname(), os.getpid(), 1_700_000_000_000
    written = 0
    for lo in range(0, n, CHUNK):
        runs, params, labels, summary = [], [], [], []
        for i in range(lo, min(lo + CHUNK, n)):
            run_id = uuid.UUID(int=i + 1).hex
            config = run_params(cols, i)
            start = t0 + i * 1000
            runs.append(
                {
                    "id": run_id,
                    "experiment_id": exp,
                    "name": f"run-{i:06d}",
                    "status": "FINISHED",
                    "start_time": start,
                    "end_time": start + 900,
                    "heartbeat_at": start + 900,
                    "user": "bench",
                    "host": host,
                    "pid": pid,
                    "config": json_output.dumps(config),
                    "metric_defs": "[]",
                    "exit_code": 0,
                    "lifecycle_stage": "active",
                    "artifact_uri": store.artifacts.run_root(exp, run_id),
                }
            )
            params += [param_row(run_id, k, v) for k, v in config.items()]
            labels += [{"run_id": run_id, "label": f"tag{(i + k) % 17}"} for k in range(5)]
            last = {
                "acc": float(cols["acc"][i]),
                "loss": float(cols["loss"][i]),
                "val_acc": float(cols["acc"][i] * 0.97),
                "val_loss": float(cols["loss"][i] * 1.05),
                "lr_now": float(cols["lr_now"][i]),
            }
            summary += [
                {
                    "run_id": run_id,
                    "key": k,
                    "value_num": v,
                    "value_json": json_output.dumps(v),
                    "explicit": False,
                }
                for k, v in last.items()
            ]
        with writing(store.engine) as conn:
            for table, rows in (
                (schema.runs, runs),
                (schema.params, params),
                (schema.run_labels, labels),
                (schema.run_summary, summary),
            ):
                conn.execute(insert(table), rows)
                written += len(rows)
    checkpoint(store.engine)
    return written


def main() -> None:
    """Fill the store (setup), then time the query in a fresh process."""
    args = common.parse_args()
    if args.read:
        matches, first, med = common.median_time(lambda: query(args), args.queries)

        def page() -> int:  # the first page only, as a UI would ask for it
            found = api().runs("w2", filter=common.W2_FILTER, order_by=common.W2_ORDER, limit=100)
            return len(found)

        _, _, page_s = common.median_time(page, args.queries)
        common.emit(
            {"query_first_s": first, "query_s": med, "matches": matches, "query_limit100_s": page_s}
        )
        return
    cols = generate(args.runs, args.run_steps)
    expected = int(((cols["lr"] < 0.01) & (cols["acc"] > 0.5)).sum())
    store = Store(os.environ["TRACKLOG_URI"])
    rows, fill_s = common.timed(fill, store, cols, args.runs)
    store.close()
    result = {
        "runs": args.runs,
        "fill_s": fill_s,
        "fill_rows": rows,
        "expected_matches": expected,
        "disk_bytes": common.dir_size(args.store),
    }
    result.update(common.run_fresh(os.path.abspath(sys.argv[0]), args, "query"))
    common.emit(result)


if __name__ == "__main__":
    main()
