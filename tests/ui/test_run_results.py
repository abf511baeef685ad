"""What a run achieved, on its page: the summary (honouring define_metric) and the config
near the top, the console's wording and wrapping, and the config search box."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from ui_support import ROOT

from server_process import ServerProcess

# Whether the placeholder of the input `el` fits in its box: its text measured in the input's
# own font against the width inside its padding.
PLACEHOLDER_FITS = """el => {
  const style = getComputedStyle(el);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${style.fontSize} ${style.fontFamily}`;
  const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return ctx.measureText(el.placeholder).width <= inner;
}"""


def open_run(page: Page, project: str, name: str) -> None:
    page.goto(f"/#/projects/{project}")
    page.locator("table.runs a", has_text=name).click()
    expect(page.locator("h1")).to_contain_text(name)


def test_run_page_shows_its_summary_and_config_first(
    page: Page, shot: Callable[[str], Path]
) -> None:
    open_run(page, "results", "results-a")
    summary = page.locator("#summary")
    # define_metric("val_loss", summary="min"): 0.2, though the last value logged is 0.3.
    val_loss = summary.locator("tr[data-key=val_loss]")
    expect(val_loss.locator("td.value")).to_have_text("0.2")
    expect(val_loss.locator("td")).to_have_text(["0.2", "0.3", "0.2", "1", "4"])
    # Set by hand (run.summary[...] = ...): a value without a series behind it.
    expect(summary.locator("tr[data-key=best_val_acc] td.value")).to_have_text("0.93")
    expect(summary.locator("tr[data-key=test_acc] td.value")).to_have_text("0.91")
    expect(summary.locator("thead th.num")).to_have_count(5)
    # Summary and config come before the overview and the charts.
    order = page.eval_on_selector_all("main section.card > h2", "hs => hs.map(h => h.textContent)")
    assert order[:4] == ["Summary", "Config", "Overview", "Tags and notes"], order
    expect(page.locator("li.leaf[data-path=lr] .value")).to_have_text("0.0001")
    search = page.locator("#config-search")
    assert search.evaluate(PLACEHOLDER_FITS), "the config search's placeholder is cut off"
    page.wait_for_function("document.querySelector('.chart[data-metric=val_loss]')?.data")
    run_png = shot("run-summary")
    if os.environ.get("TRACKLOG_UPDATE_DOCS_IMAGES"):  # docs/ui.md's screenshot
        shutil.copyfile(run_png, ROOT / "docs" / "images" / "run.png")


def test_summary_leaves_out_the_machine_and_shows_values_set_by_hand(page: Page) -> None:
    open_run(page, "ops", "sampled")  # its one metric is loss; system/* are left out
    expect(page.locator("#summary tbody tr")).to_have_count(1)
    expect(page.locator("#summary tr[data-key=loss]")).to_be_visible()
    page.goto("/#/projects/sweep")
    page.locator("table.runs a", has_text="sweep-54").click()
    expect(page.locator("#summary tr[data-key=score] td.value")).to_have_text("5.4")


def test_console_wording_and_long_lines(
    page: Page, ui_server: ServerProcess, shot: Callable[[str], Path]
) -> None:
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    ids = {}
    for name, text, status in (
        ("chatty", "epoch 1 " + "=" * 3000 + " done\n", "FINISHED"),
        ("silent-done", "", "FINISHED"),
        ("silent-running", "", None),
    ):
        ids[name] = api.post("/runs", json={"project": "console", "name": name}).json()["id"]
        put = api.put(f"/runs/{ids[name]}/artifacts/output.log", content=text.encode())
        put.raise_for_status()
        if status:
            api.post(f"/runs/{ids[name]}/finish", json={"status": status}).raise_for_status()

    page.goto(f"/#/runs/{ids['chatty']}")
    console = page.locator("#console")
    expect(console).to_contain_text("epoch 1 ===")
    # The long line wraps inside the box: nothing to scroll sideways, the page no wider.
    assert console.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot("run-console-wrapped")
    page.goto(f"/#/runs/{ids['silent-done']}")
    expect(page.locator("#console")).to_have_text("(the run printed nothing)")
    page.goto(f"/#/runs/{ids['silent-running']}")
    expect(page.locator("#console")).to_have_text("(no output yet)")
    api.post(f"/runs/{ids['silent-running']}/finish", json={"status": "FINISHED"})
