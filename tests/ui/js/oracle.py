"""The real tracklog behind the UI's unit tests (tests/ui/js/*.test.js spawn it).

``python oracle.py filter`` reads ``{"names": [...], "configs": [...], "filters": [...]}`` on
stdin, creates a run of each name (with the config at the same place, if any) in a real SQLite
store and answers, per filter, the names its search matches (or ``{"error": message}`` where the
store refuses it).

``python oracle.py series`` answers, as base64, the body the real server's
``POST /api/v1/series/batch`` sends the UI (``Accept: application/x-tracklog-series-batch``)
for two runs x two keys, one of which only the first run logged, with NaN and infinities.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tracklog.errors import TracklogError
from tracklog.store.series import SeriesPoints
from tracklog.store.tracking import Store


def filters(request: dict[str, list[Any]], root: Path) -> list[object]:
    store = Store(f"sqlite:///{root}/oracle.db")
    try:
        configs = request.get("configs", [])
        for i, name in enumerate(request["names"]):
            store.create_run("p", name=name, config=configs[i] if i < len(configs) else None)
        out: list[object] = []
        for text in request["filters"]:
            try:
                out.append(sorted(r.name for r in store.search_runs(["p"], filter=text)))
            except TracklogError as err:
                out.append({"error": str(err)})
        return out
    finally:
        store.close()


def series(root: Path) -> str:
    from fastapi.testclient import TestClient

    from tracklog.server.app import create_app
    from tracklog.server.settings import Settings

    uri = f"sqlite:///{root}/oracle.db"
    store = Store(uri)
    try:
        ids = [store.create_run("p", name=n).id for n in ("a", "b")]
        for run_id, n in zip(ids, (4, 2), strict=True):
            values = np.array([0.5, np.nan, np.inf, -np.inf][:n])
            points = SeriesPoints(
                "loss", "", np.arange(n) * 10, values, np.arange(n) + 1_700_000_000_000
            )
            store.append_metrics(run_id, [points])
        only_a = SeriesPoints("acc", "", np.array([3]), np.array([-2.25]), np.array([7]))
        store.append_metrics(ids[0], [only_a])
    finally:
        store.close()
    settings = Settings(backend_store_uri=uri, artifacts_destination=str(root / "artifacts"))
    with TestClient(create_app(settings)) as client:
        resp = client.post(
            "/api/v1/series/batch",
            json={"runs": ids, "keys": [{"key": "loss"}, {"key": "acc"}]},
            headers={"Accept": "application/x-tracklog-series-batch"},
        )
        resp.raise_for_status()
        return base64.b64encode(resp.content).decode()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if sys.argv[1] == "filter":
            print(json.dumps(filters(json.load(sys.stdin), Path(tmp))))
        else:
            print(series(Path(tmp)))


if __name__ == "__main__":
    main()
