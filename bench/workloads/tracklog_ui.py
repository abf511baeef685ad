"""W8 web UI: the pages of ``tracklog server``'s UI timed in headless Debian chromium.

Setup (timed separately): a SQLite store filled in bulk before the server starts: ``--runs``
(10,000) finished runs in project ``w2`` (as W2-100k fills them: 20 params, 5 summaries), 20
runs in project ``charts`` with 4 series of ``--steps`` (100,000) points each, and one run with
a ``--points`` (1,000,000)-point series holding a single injected spike. Then
``tracklog server --workers 1``, and chromium (Playwright, ``--headless --disable-gpu``) with a
1280x900 window and a fresh browser context (empty cache) per repeat:

- runs table: from navigation to ``#/projects/w2`` until the first rows are drawn; then a
  click on the ``metrics.acc`` header until the rows are redrawn in the new order (alternating
  ascending and descending), ``--requests`` times: median; and ``GET /projects/w2/keys``
  (the project's config, metric and tag keys) from Python;
- charts: from navigation to the charts page of the 20 runs until all 4 panels have a line for
  every run, on a first visit (nothing cached) and a second one (plotly.js cached); the bytes
  of every ``/api/v1`` response body of the first visit, and how many requests;
- big series: the same for the run's page until its chart is drawn; whether the drawn line
  holds the spike and the y-axis reaches it; and, in turn with it, a page that does nothing but
  load plotly.js from the server (the least any page that uses plotly.js can take).

Each timing is the median of the repeats (``--requests`` / 4, at least 3).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import common
import httpx
import numpy as np
from servers import exit_on_sigterm
from tracklog_server import server_info, tracklog_server
from tracklog_w2_bulk import fill, generate
from ui_browser import browser_session, cold_and_warm, html_page, new_page
from w8_data import SPIKE, big_signal

from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store

CHART_RUNS, CHART_KEYS = 20, ("loss", "acc", "lr", "grad_norm")


def series(key: str, values: np.ndarray, t0: int) -> SeriesPoints:
    n = len(values)
    steps = np.arange(n, dtype=np.int64)
    return SeriesPoints(key, "", steps, values.astype(np.float64), t0 + steps * 10)


def fill_store(store: Store, runs: int, steps: int, points: int) -> dict[str, Any]:
    """The three data sets; answers the chart run ids and the big run's id."""
    fill(store, generate(runs, 100), runs)
    rng = np.random.default_rng(7)
    t0 = int(time.time() * 1000) - 3_600_000
    chart_ids = []
    for i in range(CHART_RUNS):
        run = store.create_run("charts", name=f"chart-{i:02d}", start_time=t0)
        walk = np.cumsum(rng.standard_normal(steps)) * 0.01
        batch = [series(k, walk * (j + 1) + i, t0) for j, k in enumerate(CHART_KEYS)]
        store.append_metrics(run.id, batch)
        store.finish_run(run.id, "FINISHED")
        chart_ids.append(run.id)
    big = store.create_run("big", name="million", start_time=t0)
    values = big_signal(points)
    for lo in range(0, points, 250_000):
        part = values[lo : lo + 250_000]
        steps_part = np.arange(lo, lo + len(part), dtype=np.int64)
        store.append_metrics(
            big.id, [SeriesPoints("signal", "", steps_part, part, t0 + steps_part)]
        )
    store.finish_run(big.id, "FINISHED")
    return {"chart_ids": chart_ids, "big_id": big.id}


def time_table(browser: Any, url: str, repeats: int) -> dict[str, float]:
    firsts, sorts = [], []
    for _ in range(repeats):
        context, page, _ = new_page(browser, url)
        t = time.perf_counter()
        page.goto("/#/projects/w2?cols=metrics.acc")
        page.wait_for_selector("table.runs tbody tr")
        firsts.append(time.perf_counter() - t)
        for _ in range(2):  # ascending, then descending
            before = page.inner_text("table.runs tbody tr:first-child td[data-col=name]")
            t = time.perf_counter()
            page.click("th.sortable button:has-text('metrics.acc')")
            page.wait_for_function(
                "before => document.querySelector("
                "'table.runs tbody tr:first-child td[data-col=name]')?.innerText !== before",
                arg=before,
            )
            sorts.append(time.perf_counter() - t)
        context.close()
    return {
        "table_first_rows_s": statistics.median(firsts),
        "table_first_rows_max_s": max(firsts),
        "table_sort_s": statistics.median(sorts),
        "table_sort_max_s": max(sorts),
    }


def time_keys(url: str, repeats: int) -> dict[str, float]:
    """``GET /projects/w2/keys`` (every key of the 10,000 runs, for the column picker)."""
    times = []
    with httpx.Client(base_url=f"{url}/api/v1", timeout=120) as api:
        for _ in range(repeats):
            t = time.perf_counter()
            api.get("/projects/w2/keys").raise_for_status()
            times.append(time.perf_counter() - t)
    return {"keys_s": statistics.median(times)}


PAGE_STATS = """(() => {
  const charts = [...document.querySelectorAll('.chart')];
  const ys = charts.flatMap(el => el.data.map(d => Math.max(...d.y)));
  const tops = charts.map(el => el._fullLayout.yaxis.range[1]);
  return {points: charts.reduce((n, el) => n + el.data.reduce((m, d) => m + d.x.length, 0), 0),
          peak: Math.max(...ys), top: Math.max(...tops)};
})()"""


def time_charts(browser: Any, url: str, ids: list[str], repeats: int) -> dict[str, Any]:
    done = (
        f"[...document.querySelectorAll('.chart')].length === {len(CHART_KEYS)} && "
        f"[...document.querySelectorAll('.chart')].every(el => el.data?.length === {len(ids)})"
    )
    cold, warm, (drawn, payload, requests) = cold_and_warm(
        browser, url, f"/#/charts?runs={','.join(ids)}", done, repeats, PAGE_STATS
    )
    return {
        "charts_cold_s": statistics.median(cold),
        "charts_warm_s": statistics.median(warm),
        "charts_payload_bytes": payload,
        "charts_requests": requests,
        "charts_points_drawn": drawn["points"],
    }


# The least time any page that uses plotly.js takes: one that only loads it from the server.
PLOTLY_ONLY = '<!doctype html><script src="{url}/ui/plotly.min.js"></script>'


def time_big(browser: Any, url: str, run_id: str, repeats: int) -> dict[str, Any]:
    done = "document.querySelector('.chart')?.data?.length === 1"
    cold, warm, alone_cold, alone_warm = [], [], [], []
    with html_page(PLOTLY_ONLY.format(url=url)) as alone:
        for _ in range(repeats):  # the page and plotly.js alone in turn: both see one load
            c, w, (drawn, payload, _) = cold_and_warm(
                browser, url, f"/#/runs/{run_id}", done, 1, PAGE_STATS
            )
            cold += c
            warm += w
            c, w, _ = cold_and_warm(browser, url, alone, "window.Plotly !== undefined", 1)
            alone_cold += c
            alone_warm += w
    return {
        "big_cold_s": statistics.median(cold),
        "big_warm_s": statistics.median(warm),
        "plotly_alone_cold_s": statistics.median(alone_cold),
        "plotly_alone_warm_s": statistics.median(alone_warm),
        "big_payload_bytes": payload,
        "big_points_drawn": drawn["points"],
        "big_spike_visible": int(drawn["peak"] == SPIKE and drawn["top"] >= SPIKE),
    }


def main() -> None:
    exit_on_sigterm()
    args = common.parse_args()
    from playwright.sync_api import sync_playwright

    db = args.store / "server.db"
    store = Store(f"sqlite:///{db}")
    data, fill_s = common.timed(fill_store, store, args.runs, args.steps, args.points)
    store.close()
    result: dict[str, Any] = {
        "runs": args.runs,
        "chart_runs": CHART_RUNS,
        "chart_steps": args.steps,
        "chart_keys": len(CHART_KEYS),
        "points": args.points,
        "fill_s": fill_s,
    }
    repeats = max(3, args.requests // 4)
    with tracklog_server(args.workdir, 1) as srv, sync_playwright() as play:
        browser = browser_session(play)
        try:
            result.update(time_table(browser, srv.url, repeats))
            result.update(time_keys(srv.url, repeats))
            result.update(time_charts(browser, srv.url, data["chart_ids"], repeats))
            result.update(time_big(browser, srv.url, data["big_id"], repeats))
        finally:
            browser.close()
        result.update(server_info(srv))
    result["repeats"] = repeats
    common.emit(result)


if __name__ == "__main__":
    main()
