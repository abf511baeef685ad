"""``GET /api/v1/runs/{id}/tables/{key}``: a logged table sorted, filtered and paged on the
server, its media cells' metadata, the step and context chosen, and bad input answered 4xx."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from remote_helpers import sdk_session

import tracklog
from inprocess import InProcessServer


def log_run() -> str:
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    with tracklog.init(project="t") as run:
        first = tracklog.Table(columns=["id", "label"], data=[[0, "old"]])
        run.log({"preds": first}, step=0)
        table = tracklog.Table(columns=["id", "label", "score", "img"])
        for i, (label, score) in enumerate(
            [("cat", 0.9), ("dog", math.nan), ("cat", 0.2), ("bird", 0.5), ("dog", 0.7)]
        ):
            table.add_data(i, label, score, tracklog.Image(pixels, caption=f"pic {i}"))
        run.log({"preds": table, "note": "text"}, step=1)
        run.track(first, name="preds", step=5, context={"subset": "val"})
        run.log({"curve": tracklog.plot.line(table, "id", "score", title="Score")}, step=2)
    return run.id


@pytest.fixture
def run_id(
    server: InProcessServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A run on the server with table "preds" at steps 0 and 1 (the latter with an image
    column), at step 5 in context subset=val, a line plot and a text value; its id."""
    for _ in sdk_session(tmp_path, monkeypatch):
        monkeypatch.setenv("TRACKLOG_URI", server.url)
        yield log_run()


def test_a_page_sorted_filtered_and_paged(server: InProcessServer, run_id: str) -> None:
    client = server.client(f"/api/v1/runs/{run_id}/tables")
    page = client.get("/preds", params={"context": "{}"}).json()
    assert page["step"] == 1 and page["kind"] == "table" and page["total"] == 5
    assert [c["name"] for c in page["columns"]] == ["id", "label", "score", "img"]
    assert page["columns"][3]["type"] == "image"
    assert page["rows"][1][:3] == [1, "dog", "NaN"]  # NaN as the wire carries it
    assert page["cells"]["img"]["3"]["caption"] == "pic 3"
    image = page["rows"][3][3]
    assert client.get(f"/../artifacts/media/{image}").status_code == 200

    params = {"context": "{}", "order_by": ["score DESC"], "limit": 2, "offset": 1}
    page = client.get("/preds", params=params).json()
    assert [r[0] for r in page["rows"]] == [4, 3] and page["row_ids"] == [4, 3]
    assert page["offset"] == 1 and page["total"] == 5 and set(page["cells"]["img"]) == {"3", "4"}

    params = {"context": "{}", "filter": "label = 'dog' or score > 0", "order_by": ["id"]}
    assert client.get("/preds", params=params).status_code == 400
    params = {"context": "{}", "filter": "label != 'dog'", "order_by": ["label", "`id` desc"]}
    page = client.get("/preds", params=params).json()
    assert [r[:2] for r in page["rows"]] == [[3, "bird"], [2, "cat"], [0, "cat"]]


def test_the_step_and_context_chosen(server: InProcessServer, run_id: str) -> None:
    client = server.client(f"/api/v1/runs/{run_id}/tables")
    assert client.get("/preds", params={"step": 0, "context": "{}"}).json()["rows"] == [[0, "old"]]
    val = client.get("/preds", params={"context": '{"subset": "val"}'}).json()
    assert val["step"] == 5 and val["context"] == '{"subset":"val"}'
    plot = client.get("/curve").json()
    assert plot["kind"] == "plot" and plot["meta"]["plot"] == "line" and plot["total"] == 5


def test_bad_input_is_refused_naming_it(server: InProcessServer, run_id: str) -> None:
    client = server.client("/api/v1/runs")
    run = f"/{run_id}/tables"
    for path, params, status, word in [
        (f"{run}/preds", {"order_by": ["nope"]}, 400, "no column named 'nope'"),
        (f"{run}/preds", {"order_by": [" DESC"]}, 400, "no column"),
        (f"{run}/preds", {"order_by": ["x" * 1001]}, 400, "at most 1000"),
        (f"{run}/preds", {"order_by": ["id"] * 11}, 400, "order_by"),
        (f"{run}/preds", {"filter": "score >"}, 400, "expected a value"),
        (f"{run}/preds", {"filter": "x" * 10_001}, 400, "filter"),
        (f"{run}/preds", {"filter": "nope = 1"}, 400, "nope"),
        (f"{run}/preds", {"limit": 1001}, 400, "limit"),
        (f"{run}/preds", {"limit": -1}, 400, "limit"),
        (f"{run}/preds", {"offset": -1}, 400, "offset"),
        (f"{run}/preds", {"step": "two"}, 400, "step"),
        (f"{run}/preds", {"context": "{bad"}, 400, "context"),
        (f"{run}/preds", {"step": 3}, 404, "no table 'preds' at step 3"),
        (f"{run}/note", {}, 404, "no table 'note'"),
        (f"{run}/missing", {}, 404, "no table 'missing'"),
        ("/nope/tables/preds", {}, 404, "no run"),
    ]:
        answer = client.get(path, params=params)
        assert answer.status_code == status, (path, params, answer.text)
        assert word in answer.json()["message"], (path, params, answer.text)
    # Nothing of the run was touched.
    assert client.get(f"{run}/preds", params={"context": "{}"}).json()["total"] == 5
