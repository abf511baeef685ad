"""The run page in the browser (overview, tags, notes, config search, file previews), the
error states, and the themes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from ui_support import PageErrors

from server_process import ServerProcess


def open_run(page: Page, project: str, name: str) -> None:
    page.goto(f"/#/projects/{project}")
    page.locator("table.runs a", has_text=name).click()
    expect(page.locator("h1")).to_contain_text(name)


def test_run_page_shows_edits_and_previews(page: Page, shot: Callable[[str], Path]) -> None:
    open_run(page, "vision", "resnet-a")
    overview = page.locator("table.overview")
    expect(overview).to_contain_text("finished")
    expect(page.locator(".chart[data-metric=loss]")).to_be_visible()

    page.fill("#config-search", "sgd")
    expect(page.locator("li.leaf[data-path='optimizer.name']")).to_be_visible()
    expect(page.locator("li.leaf[data-path='lr']")).to_be_hidden()

    page.fill("#new-tag", "stage=final")
    page.click("#add-tag")
    expect(page.locator(".chip[data-tag=stage]")).to_contain_text("stage=final")
    page.fill("#notes", "best so far")
    page.click("#save-notes")
    expect(page.locator("#notes-status")).to_have_text("saved")
    page.reload()
    expect(page.locator("#notes")).to_have_value("best so far")
    page.locator(".chip[data-tag=stage] button.remove").click()
    expect(page.locator(".chip[data-tag=stage]")).to_have_count(0)

    page.click("button[data-path='sample.png']")
    image = page.locator("#preview img")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('#preview img').naturalWidth === 48")
    shot("run")
    page.click("button[data-path='preds.csv']")
    expect(page.locator("#preview table.csv td", has_text="dog, big")).to_be_visible()
    expect(page.locator("#preview table.csv th").first).to_have_text("label")
    page.click("button[data-path='NOTES.md']")
    expect(page.locator("#preview .markdown h1")).to_have_text("Findings")
    expect(page.locator("#preview .markdown strong")).to_have_text("lr")
    expect(page.locator("#preview .markdown li")).to_have_count(2)
    expect(page.locator("#preview .markdown a")).to_have_count(0)  # no javascript: link
    # Raw HTML in the file shows as text; nothing of it becomes an element or runs.
    expect(page.locator("#preview .markdown p")).to_contain_text('<img src=x onerror="window.')
    expect(page.locator("#preview .markdown img")).to_have_count(0)
    assert page.evaluate("window.pwned") is None
    download = page.locator("a[download='preds.csv']")
    assert download.get_attribute("href").endswith("/artifacts/preds.csv")


def test_system_metrics_are_charted_apart_against_time(page: Page) -> None:
    open_run(page, "ops", "sampled")
    main = page.locator(".panels").first.locator(".chart")
    expect(main).to_have_count(1)  # loss: the machine's series are not among the metrics
    section = page.locator("details.system-metrics")
    expect(section.locator("summary")).to_contain_text("System metrics")
    cpu = section.locator(".chart[data-metric='system/cpu_percent']")
    expect(cpu).to_be_visible()
    page.wait_for_function(
        "document.querySelector(\".system-metrics .chart[data-metric='system/cpu_percent']\")"
        ".data?.[0].x.length > 1"
    )
    title = cpu.evaluate("el => el.layout.xaxis.title.text")
    assert title == "seconds since start"

    # On the charts page the section starts closed and draws when opened.
    page.goto(page.url.replace("#/runs/", "#/charts?runs="))
    expect(page.locator(".panels").first.locator(".chart")).to_have_count(1)
    closed = page.locator("details.system-metrics")
    expect(closed.locator(".chart")).to_have_count(0)
    closed.locator("summary").click()
    expect(closed.locator(".chart[data-metric='system/cpu_percent']")).to_be_visible()


def test_unknown_run_and_bad_route_say_so(page: Page, page_errors: PageErrors) -> None:
    page_errors.expect("status of 404")
    page.goto("/#/runs/no-such-run")
    expect(page.locator(".notice-error")).to_contain_text("Not found")
    expect(page.locator(".notice-error")).to_contain_text("no-such-run")
    page.goto("/#/projects/no-such-project")
    expect(page.locator(".notice-error")).to_contain_text("no-such-project")
    page.goto("/#/nowhere")
    expect(page.locator(".notice-error")).to_contain_text("Page not found")


def test_server_down_is_an_error_state(page: Page, page_errors: PageErrors, tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path}/down.db", tmp_path / "artifacts").start()
    page.goto(f"{server.url}/")
    expect(page.locator(".notice")).to_contain_text("No runs yet")  # the empty state
    server.kill()
    page_errors.expect("ERR_CONNECTION_REFUSED")
    page.goto(f"{server.url}/#/projects/x")
    expect(page.locator(".notice-error")).to_contain_text("Server down")


def test_dark_theme_is_remembered(page: Page, shot: Callable[[str], Path]) -> None:
    page.goto("/#/projects/vision")
    before = page.eval_on_selector("html", "el => el.dataset.theme")
    page.click("#theme-toggle")
    after = page.eval_on_selector("html", "el => el.dataset.theme")
    assert {before, after} == {"dark", "light"}
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", re.compile(after))
    page.evaluate("localStorage.setItem('tracklog.theme', 'dark')")
    page.goto("/#/charts?project=vision")
    expect(page.locator(".chart")).to_have_count(2)
    shot("charts-dark")


def test_pages_fit_an_800_pixel_window(page: Page, shot: Callable[[str], Path]) -> None:
    page.set_viewport_size({"width": 800, "height": 900})
    open_run(page, "vision", "resnet-a")
    expect(page.locator(".chart[data-metric=loss]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    for path in ("/#/", "/#/projects/sweep?cols=metrics.score", "/#/charts?project=vision"):
        page.goto(path)
        page.wait_for_selector("main table, main .chart")
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 800, path
    shot("charts-800px")
