"""Charts and compare in the browser: panels per metric, x-axis, smoothing, log scale, zoom
detail, parallel coordinates, and a running run's chart growing while it logs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from ui_support import CLIENT, ROOT, PageErrors, client_env

from server_process import ServerProcess

PANEL = ".chart[data-metric={}]"


def trace_lengths(page: Page, metric: str) -> list[int]:
    """How many points each drawn line of the panel of ``metric`` has."""
    return page.eval_on_selector(PANEL.format(metric), "el => el.data.map(t => t.x.length)")


def open_charts_of_vision(page: Page) -> None:
    page.goto("/#/projects/vision")
    page.locator("table.runs thead input[type=checkbox]").click()
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    page.click("#open-charts")
    expect(page.locator(".chart")).to_have_count(2)  # acc and loss
    page.wait_for_function(f"document.querySelector('{PANEL.format('loss')}').data?.length === 3")


def test_charts_of_selected_runs(page: Page, shot: Callable[[str], Path]) -> None:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    open_charts_of_vision(page)
    # The runs, their series and each panel's lines: a request each, not one per run. The
    # runs and their series statistics are asked for together; the table's requests come before.
    api = [u.split("/api/v1/")[1] for u in urls if "/api/v1/" in u]
    charts = api[min(api.index("runs/search"), api.index("series/stats")) :]
    assert sorted(charts) == ["runs/search", "series/batch", "series/batch", "series/stats"]
    assert trace_lengths(page, "loss") == [200, 200, 200]
    colors = page.eval_on_selector(PANEL.format("loss"), "el => el.data.map(t => t.line.color)")
    assert len(set(colors)) == 3
    charts_png = shot("charts")
    if os.environ.get("TRACKLOG_UPDATE_DOCS_IMAGES"):  # the README's screenshot
        shutil.copyfile(charts_png, ROOT / "docs" / "images" / "charts.png")

    page.select_option("#x-axis", "relative")
    page.wait_for_function(
        f"document.querySelector('{PANEL.format('loss')}').layout.xaxis.title.text"
        " === 'seconds since start'"
    )
    assert "x=relative" in page.url

    page.locator("#smoothing").fill("0.8")
    expect(page.locator("#smooth-value")).to_have_text("0.80")
    # Each run now has its faint raw line and its smoothed line.
    page.wait_for_function(f"document.querySelector('{PANEL.format('loss')}').data.length === 6")
    raw, smoothed = page.eval_on_selector(
        PANEL.format("loss"), "el => [el.data[0].y[5], el.data[1].y[5]]"
    )
    assert raw != smoothed

    page.select_option("#x-axis", "metric:acc")  # another metric as the x-axis
    page.wait_for_function(
        f"document.querySelector('{PANEL.format('loss')}').layout.xaxis.title.text === 'acc'"
    )
    xs = page.eval_on_selector(PANEL.format("loss"), "el => Array.from(el.data[1].x)")
    assert len(xs) == 200 and all(0.4 < x <= 1 for x in xs)
    assert "x=metric%3Aacc" in page.url

    page.check("#log-scale")
    page.wait_for_function(
        f"document.querySelector('{PANEL.format('loss')}').layout.yaxis.type === 'log'"
    )
    assert "log=1" in page.url and "smooth=0.8" in page.url


def test_group_by_a_config_key_draws_mean_and_band(page: Page, shot: Callable[[str], Path]) -> None:
    open_charts_of_vision(page)
    page.select_option("#group-by", "model")
    page.wait_for_function(f"document.querySelector('{PANEL.format('loss')}').data.length === 6")
    names = page.eval_on_selector(
        PANEL.format("loss"), "el => el.data.filter(t => t.showlegend !== false).map(t => t.name)"
    )
    assert names == ["model=resnet (2)", "model=vit (1)"]
    fills = page.eval_on_selector(PANEL.format("loss"), "el => el.data.map(t => t.fill ?? '')")
    assert fills.count("tonexty") == 2
    assert "group=model" in page.url
    shot("charts-grouped")

    # resnet's band: first min-max of its two runs, then the mean ± their standard deviation.
    band = "el => [0, 1, 2].map(i => el.data[i].y[5])"  # upper, lower, mean at one x
    upper, lower, mean = page.eval_on_selector(PANEL.format("loss"), band)
    assert lower < mean < upper
    page.select_option("#band", "std")
    page.wait_for_function(
        f"document.querySelector('{PANEL.format('loss')}').data[0].name.endsWith('+std')"
    )
    std_upper, std_lower, std_mean = page.eval_on_selector(PANEL.format("loss"), band)
    assert std_mean == mean
    # Two runs: their sample standard deviation is the range / sqrt(2), beyond the min-max band.
    assert std_upper - mean == pytest.approx((upper - lower) / 2**0.5)
    assert mean - std_lower == pytest.approx(std_upper - mean)
    assert "band=std" in page.url
    page.select_option("#group-by", "")
    expect(page.locator("#band")).to_be_disabled()


def test_choose_the_metrics_and_the_context_shown(page: Page, shot: Callable[[str], Path]) -> None:
    page.goto("/#/projects/aim")
    page.locator("table.runs thead input[type=checkbox]").click()
    page.click("#open-charts")
    runs = page.url.split("runs=")[1].split("&")[0]
    shown = page.locator(".panel:visible h3")
    expect(shown).to_have_text(["acc subset=val", "loss subset=train", "loss subset=val", "lr"])
    page.wait_for_function(
        "[...document.querySelectorAll('.panel:not([hidden]) .chart')]"
        ".every(el => el.data?.length === 2)"
    )

    page.select_option("#context", label="subset=val")
    expect(shown).to_have_text(["acc subset=val", "loss subset=val"])
    assert "context=" in page.url
    page.click("#metric-picker summary")
    page.uncheck("#metric-picker input[value=acc]")
    expect(shown).to_have_text(["loss subset=val"])
    expect(page.locator("#metric-picker summary")).to_contain_text("2 of 3")
    assert "metrics=loss%2Clr" in page.url
    shot("charts-context")

    page.select_option("#context", label="(none)")  # lr has no context
    expect(shown).to_have_text(["lr"])
    page.uncheck("#metric-picker input[value=lr]")
    expect(page.locator(".notice-empty")).to_contain_text("No metric in this choice")

    page.click("#metric-picker input[value=loss]")  # the last one stays: none would be all
    expect(page.locator("#metric-picker input[value=loss]")).to_be_checked()

    page.select_option("#context", label="(all)")  # then a link reproduces the choice
    page.reload()
    expect(shown).to_have_text(["loss subset=train", "loss subset=val"])
    page.wait_for_function(
        "[...document.querySelectorAll('.panel:not([hidden]) .chart')]"
        ".every(el => el.data?.length === 2)"
    )
    # The hidden panels were never drawn, and are when chosen again.
    assert page.eval_on_selector(".chart[data-metric=acc]", "el => el.data === undefined")
    page.click("#metric-picker summary")
    page.check("#metric-picker input[value=acc]")
    page.wait_for_function("document.querySelector('.chart[data-metric=acc]').data?.length === 2")

    # A link may write the context spaced and its keys in any order; an unknown one says so.
    page.goto(page.url.split("?")[0] + "?runs=" + runs + '&context={"subset": "val"}')
    expect(shown).to_have_text(["acc subset=val", "loss subset=val"])
    page.goto(page.url.split("?")[0] + "?runs=" + runs + '&context={"subset":"test"}')
    expect(page.locator(".notice-empty")).to_contain_text("No metric in this choice")
    expect(page.locator("#context option:checked")).to_have_text('{"subset":"test"} (not logged)')
    page.select_option("#context", label="(all)")
    expect(shown).to_have_count(4)


def test_zoom_fetches_detail_of_the_visible_range(page: Page) -> None:
    open_charts_of_vision(page)
    page.eval_on_selector(
        PANEL.format("loss"), "el => Plotly.relayout(el, {'xaxis.range': [50, 59]})"
    )
    expect(page.locator(PANEL.format("loss"))).to_have_attribute("data-detail", "50-59")
    assert trace_lengths(page, "loss") == [10, 10, 10]
    page.eval_on_selector(
        PANEL.format("loss"), "el => Plotly.relayout(el, {'xaxis.autorange': true})"
    )
    expect(page.locator(PANEL.format("loss"))).to_have_attribute("data-detail", "")
    assert trace_lengths(page, "loss") == [200, 200, 200]


def test_compare_highlights_differences_and_draws_parallel_coordinates(
    page: Page, shot: Callable[[str], Path]
) -> None:
    page.goto("/#/projects/vision")
    page.locator("table.runs thead input[type=checkbox]").click()
    page.click("#open-compare")
    expect(page.locator("tr.differs[data-key='config.lr']")).to_be_visible()
    expect(page.locator("tr[data-key='config.optimizer.name']")).to_have_class("differs")
    # Every run has the tag owner=ada, but tags are not compared; model differs.
    expect(page.locator("tr[data-key='config.model']")).to_have_class("differs")
    page.select_option("#plot-metric", "acc")
    expect(page.locator("#parcoords .parcoords")).to_have_count(1)
    labels = page.eval_on_selector("#parcoords", "el => el.data[0].dimensions.map(d => d.label)")
    assert labels == ["lr", "model", "optimizer.name", "acc"]
    page.select_option("#scatter-key", "model")
    page.wait_for_function(
        "document.querySelector('#scatter').layout?.xaxis.title.text === 'model'"
    )
    assert page.eval_on_selector("#scatter", "el => el.data[0].x.length") == 3
    assert "metric=acc" in page.url and "key=model" in page.url
    expect(page.locator(".chart[data-metric=loss]")).to_be_visible()  # overlaid metric charts

    # Brushing the lr axis (as a drag would) offers those runs in the table.
    page.eval_on_selector(
        "#parcoords",
        "el => Plotly.restyle(el, {'dimensions[0].constraintrange': [[0.005, 0.2]]})",
    )
    link = page.locator("#brushed a")
    expect(link).to_contain_text("params.`lr` >= 0.005 AND params.`lr` <= 0.2")
    link.click()
    expect(page.locator("#page-info")).to_have_text("1–2 of 2")
    assert sorted(page.locator("td[data-col=name]").all_inner_texts()) == ["resnet-a", "resnet-b"]
    shot("compare")


def test_compare_plots_the_filtered_runs_and_scatter_selection_filters_the_table(
    page: Page,
) -> None:
    page.goto("/#/projects/vision")
    page.fill("#filter", "metrics.acc > 0")
    page.click("#apply-filter")
    page.locator("table.runs thead input[type=checkbox]").click()
    page.click("#open-compare")
    expect(page.locator("h2", has_text="Config → metric")).to_have_text(
        "Config → metric over 3 runs matching metrics.acc > 0"
    )
    page.select_option("#plot-metric", "acc")
    page.select_option("#scatter-key", "model")
    page.wait_for_function("document.querySelector('#scatter').layout?.dragmode === 'select'")

    # A real drag across the left half of the scatter plot: the two resnet runs' dots.
    area = page.locator("#scatter .nsewdrag").bounding_box()
    assert area is not None
    top, left = area["y"] + 2, area["x"] + 2
    page.mouse.move(left, top)
    page.mouse.down()
    page.mouse.move(left + area["width"] * 0.4, top + area["height"] - 4, steps=8)
    page.mouse.up()
    link = page.locator("#brushed a")
    expect(link).to_contain_text("metrics.acc > 0 AND params.`model` IN ('resnet') AND")
    link.click()
    expect(page.locator("#page-info")).to_have_text("1–2 of 2")
    assert sorted(page.locator("td[data-col=name]").all_inner_texts()) == ["resnet-a", "resnet-b"]


def test_compare_with_a_filter_the_server_refuses_plots_every_run(
    page: Page, page_errors: PageErrors
) -> None:
    page.goto("/#/projects/vision")
    page.locator("table.runs thead input[type=checkbox]").click()
    compare = page.get_attribute("#open-compare", "href")
    page_errors.expect("status of 400")
    page.goto(f"/{compare}&filter=metrics.acc >>> 1")
    expect(page.locator(".notice-error")).to_contain_text("The runs table's filter does not apply")
    expect(page.locator("h2", has_text="Config → metric")).to_have_text(
        "Config → metric over 3 runs"
    )
    expect(page.locator("tr.differs[data-key='config.lr']")).to_be_visible()


def test_filter_strings_the_pages_build_match_values_with_quotes(
    page: Page, ui_server: ServerProcess
) -> None:
    value = "o'neil \\' \\\\ x"  # a quote, a backslash before a quote, two backslashes
    with httpx.Client(base_url=f"{ui_server.url}/api/v1") as api:
        api.post("/runs", json={"project": "quotes", "config": {"who": value}}).raise_for_status()
    page.goto("/")
    found = page.evaluate(
        """async (value) => {
            const { filterString } = await import("/ui/dom.js");
            const filter = `params.who IN (${filterString(value)})`;
            const resp = await fetch("/api/v1/runs/search", { method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ projects: ["quotes"], filter }) });
            return (await resp.json()).runs.map((r) => r.config.who);
        }""",
        value,
    )
    assert found == [value]


@pytest.fixture
def live_run(ui_server: ServerProcess, tmp_path: Path) -> Iterator[str]:
    """A training process logging a step every 0.1 s; yields its run id."""
    stop = tmp_path / "stop"
    proc = subprocess.Popen(
        [sys.executable, str(CLIENT), "live", "growing", str(stop)],
        cwd=tmp_path,
        env=client_env(ui_server.url),
    )
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    try:
        found: list[dict] = []
        while not found:
            assert proc.poll() is None, "the training process died"
            found = (
                api.post("/runs/search", json={"projects": ["live"]}).json()["runs"]
                if any(p["name"] == "live" for p in api.get("/projects").json()["projects"])
                else []
            )
        yield found[0]["id"]
    finally:
        stop.touch()
        proc.wait(timeout=60)


def test_running_run_chart_grows(page: Page, live_run: str, shot: Callable[[str], Path]) -> None:
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/api/v1/events" in r.url else None)
    page.goto(f"/#/runs/{live_run}")
    expect(page.locator("h1 .status-running")).to_be_visible()
    page.wait_for_function(f"document.querySelector('{PANEL.format('loss')}')?.data?.length === 1")
    before = trace_lengths(page, "loss")[0]
    page.wait_for_function(
        f"document.querySelector('{PANEL.format('loss')}').data[0].x.length > {before + 5}"
    )
    shot("run-live")
    # A metric the run starts logging later gets its panel and a place in the metrics menu,
    # and the first system sample (3 s in) a section of its own.
    expect(page.locator(PANEL.format("late"))).to_be_visible()
    expect(page.locator("#metric-picker input[value=late]")).to_have_count(1)
    expect(page.locator("#x-axis option[value='metric:late']")).to_have_count(1)
    system = page.locator("details.system-metrics .chart[data-metric='system/cpu_percent']")
    expect(system).to_be_visible()
    page.wait_for_function(
        "document.querySelector(\".system-metrics .chart[data-metric='system/cpu_percent']\")"
        ".data?.[0].x.length > 1"
    )  # the system charts follow the run too, on the metrics' stream: one in all
    assert len(streams) == 1, streams


def test_charts_never_hide_a_point_or_magnify_a_constant(
    page: Page, shot: Callable[[str], Path]
) -> None:
    page.goto("/#/projects/results")
    page.locator("table.runs a", has_text="results-a").click()
    drawn = "document.querySelector('{}')?.data?.length === 1"
    for metric in ("test_acc", "lr", "val_loss"):
        page.wait_for_function(drawn.format(PANEL.format(metric)))
    single = page.eval_on_selector(PANEL.format("test_acc"), "el => el.data[0]")
    assert single["mode"] == "markers" and list(single["y"]) == [0.91]
    # lr is 1e-4 at every step: the axis spans around it, not -1..1 where it reads as 0.
    lo, hi = page.eval_on_selector(PANEL.format("lr"), "el => el._fullLayout.yaxis.range")
    assert 0 < lo < 1e-4 < hi < 2e-4, (lo, hi)
    assert page.eval_on_selector(PANEL.format("val_loss"), "el => el.data[0].mode") == "lines"
    assert page.eval_on_selector(PANEL.format("val_loss"), "el => el.layout.yaxis.autorange")
    shot("run-single-point-and-constant")

    # The machine's percentages: a few samples sit on 0..100, their noise not magnified.
    page.goto("/#/projects/ops")
    page.locator("table.runs a", has_text="sampled").click()
    cpu = ".system-metrics " + PANEL.format("'system/cpu_percent'")
    page.wait_for_function(f'document.querySelector("{cpu}")?.data?.length === 1')
    lo, hi = page.eval_on_selector(cpu, "el => el._fullLayout.yaxis.range")
    assert lo == 0 and hi >= 100, (lo, hi)


def test_a_run_page_draws_with_the_partial_bundle_and_compare_with_the_full_one(
    page: Page, ui_server: ServerProcess
) -> None:
    bundles: list[str] = []
    page.on("request", lambda r: bundles.append(r.url.rsplit("/", 1)[-1]))
    runs = httpx.post(f"{ui_server.url}/api/v1/runs/search", json={"projects": ["vision"]})
    ids = [r["id"] for r in runs.json()["runs"]]
    page.goto(f"/#/runs/{ids[0]}")  # opened directly: index.html preloads the partial bundle
    page.wait_for_function(f"document.querySelector('{PANEL.format('loss')}')?.data?.length")
    assert {b for b in bundles if b.endswith(".min.js")} == {"plotly-basic.min.js"}
    assert page.evaluate("document.querySelector('.chart .main-svg') !== null")
    # Parallel coordinates need the full bundle: it is loaded then, and serves from then on.
    page.goto(f"/#/compare?project=vision&runs={ids[0]},{ids[1]}")
    expect(page.locator("#parcoords .parcoords")).to_have_count(1)
    assert {b for b in bundles if b.endswith(".min.js")} == {"plotly-basic.min.js", "plotly.min.js"}
    page.goto(f"/#/runs/{ids[1]}")
    page.wait_for_function(f"document.querySelector('{PANEL.format('loss')}')?.data?.length")
    assert page.evaluate("typeof window.Plotly.PlotSchema.get().traces.parcoords") == "object"
