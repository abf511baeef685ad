"""Media in the browser: the run page's panels (images with mask and box overlays, audio,
video, HTML, text, histogram distributions), logged HTML kept away from the UI's origin, and
the compare page's media side by side."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from ui_support import ROOT, PageErrors

from server_process import ServerProcess

COOKIE = "tracklog-secret-cookie"
# Where the UI's media panels appear in the docs (TRACKLOG_UPDATE_DOCS_IMAGES=1 refreshes).
DOCS_IMAGES = ROOT / "docs" / "images"


def run_ids(server: ServerProcess) -> dict[str, str]:
    runs = httpx.post(
        f"{server.url}/api/v1/runs/search", json={"projects": ["media"]}, timeout=30
    ).json()["runs"]
    return {r["name"]: r["id"] for r in runs}


def doc_image(path: Path, name: str) -> None:
    if os.environ.get("TRACKLOG_UPDATE_DOCS_IMAGES") == "1":
        shutil.copyfile(path, DOCS_IMAGES / name)


def mask_rgba(page: Page, x: int, y: int) -> list[int]:
    """The colour of the first image's mask overlay at pixel (x, y)."""
    return list(
        page.eval_on_selector(
            "[data-key=segmentation] canvas.mask",
            f"c => Array.from(c.getContext('2d').getImageData({x}, {y}, 1, 1).data)",
        )
    )


def test_run_page_shows_a_panel_per_media_key(
    page: Page, ui_server: ServerProcess, shot: Callable[[str], Path]
) -> None:
    page.goto(f"/#/runs/{run_ids(ui_server)['media-a']}")
    media = page.locator("#media")
    for key in ("segmentation", "tone", "rollout", "sample", "weights", "report"):
        expect(media.locator(f".media-panel[data-key='{key}']")).to_be_visible()

    seg = media.locator("[data-key=segmentation]")
    expect(seg.locator("figcaption")).to_have_text("media-a step 2")  # the last step first
    page.wait_for_function(
        "document.querySelector('[data-key=segmentation] img').naturalWidth === 90"
    )
    # The mask in its classes' colours (half opaque): class 1 (cat) at (35, 20) in step 2,
    # class 2 (dog) at (70, 50), class 0 (background) at (5, 5).
    page.wait_for_function(
        "document.querySelector('[data-key=segmentation] canvas.mask')"
        "?.getContext('2d').getImageData(35, 20, 1, 1).data[3] > 0"
    )
    # (A canvas keeps colours premultiplied by alpha: they come back within a unit or two.)
    assert mask_rgba(page, 35, 20) == pytest.approx([255, 127, 14, 128], abs=2)
    assert mask_rgba(page, 70, 50) == pytest.approx([44, 160, 44, 128], abs=2)
    assert mask_rgba(page, 5, 5) == pytest.approx([31, 119, 180, 128], abs=2)
    seg.locator("button.class-chip[data-class-id='1']").click()  # hide the cats
    expect(seg.locator("button.class-chip[data-class-id='1']")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert mask_rgba(page, 35, 20)[3] == 0 and mask_rgba(page, 70, 50)[3] == 128
    seg.locator("input[data-overlay='mask:truth']").uncheck()
    expect(seg.locator("canvas.mask")).to_be_hidden()
    expect(seg.locator("svg.boxes text")).to_have_text("cat 2")
    width = seg.locator("svg.boxes rect").get_attribute("width")
    assert width is not None and float(width) == pytest.approx(0.6 * 90)
    seg.locator("input[data-overlay='boxes:pred']").uncheck()
    expect(seg.locator("svg.boxes g[data-boxes=pred]")).to_be_hidden()
    seg.locator("input[data-overlay='boxes:pred']").check()

    # The slider goes back to step 0: its caption, its box, and the overlays as chosen.
    slider = seg.locator("input.step-slider")
    slider.fill("0")
    expect(seg.locator("figcaption")).to_have_text("media-a step 0")
    expect(seg.locator(".step-label")).to_have_text("step 0")
    expect(seg.locator("svg.boxes text")).to_have_text("cat 0")
    expect(seg.locator("canvas.mask")).to_be_hidden()

    tone = media.locator("[data-key=tone] audio")
    page.wait_for_function("document.querySelector('[data-key=tone] audio').readyState >= 1")
    assert tone.evaluate("a => a.duration") == pytest.approx(0.2, abs=0.01)
    page.wait_for_function(
        "document.querySelector('[data-key=rollout] img.media-video').naturalWidth === 16"
    )
    # Text is text: the markup shows as written and makes no element.
    text = media.locator("[data-key=sample] pre.media-text")
    expect(text).to_have_text("<b>not bold</b> media-a at step 2")
    expect(text.locator("b")).to_have_count(0)

    report = media.locator("[data-key=report] iframe.media-html").content_frame
    expect(report.locator("h2")).to_have_text("Report of media-a")

    chart = media.locator("[data-key=weights] .distribution")
    page.wait_for_function(
        "document.querySelector('[data-key=weights] .distribution').data?.[0].type === 'heatmap'"
    )
    assert chart.evaluate("el => Array.from(el.data[0].x)") == [0, 1, 2]
    z = chart.evaluate("el => el.data[0].z")
    assert len(z) == 64
    # Every value of each step is counted: 2000 per step, spread over the common grid.
    for step in range(3):
        assert sum(row[step] for row in z) == pytest.approx(2000)
    seg.locator("input[data-overlay='mask:truth']").check()
    seg.locator("button.class-chip[data-class-id='1']").click()
    slider.fill("2")
    media.scroll_into_view_if_needed()
    doc_image(shot("media"), "media.png")


def test_logged_html_cannot_read_the_ui_nor_call_its_api(
    page: Page, ui_server: ServerProcess, page_errors: PageErrors
) -> None:
    # What the browser logs as it refuses the probe's request to the API.
    page_errors.expect("from origin 'null' has been blocked by CORS policy")
    page_errors.expect("net::ERR_FAILED")
    page.context.add_cookies([{"name": "secret", "value": COOKIE, "url": ui_server.url}])
    page.add_init_script(
        "window.probes = []; addEventListener('message', (e) => window.probes.push(e.data))"
    )
    ids = run_ids(ui_server)
    page.goto(f"/#/runs/{ids['html-probe']}")
    frame = page.locator("[data-key=report] iframe.media-html")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    expect(frame.content_frame.locator("#probe")).to_have_text("probe")
    # The script ran (it reports), and everything it tried was refused.
    page.wait_for_function("window.probes.length > 0")
    probe = page.evaluate("window.probes[0].probe")
    assert probe == {"cookie": "blocked", "marker": "blocked", "own": "blocked", "api": "blocked"}
    assert page.evaluate("window.pwned") is None
    assert COOKIE in page.evaluate("document.cookie")  # the page itself has the cookie

    # The same page as a run file, opened on its own in the UI's origin: its script never runs
    # (the file is served with "Content-Security-Policy: sandbox"), as chromium says.
    page_errors.expect("Blocked script execution")
    with page.expect_console_message(lambda m: "Blocked script execution" in m.text):
        page.goto(f"/api/v1/runs/{ids['html-probe']}/artifacts/probe.html")
    expect(page.locator("#probe")).to_have_text("probe")
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("window.probes") == []


def test_compare_shows_a_media_key_side_by_side_at_a_step(
    page: Page, ui_server: ServerProcess, shot: Callable[[str], Path]
) -> None:
    ids = run_ids(ui_server)
    runs = f"{ids['media-a']},{ids['media-b']}"
    page.goto(f"/#/compare?runs={runs}&media=segmentation&step=1")
    columns = page.locator("#media .media-column")
    expect(columns).to_have_count(2)
    expect(columns.nth(0).locator("figcaption")).to_contain_text("step 1")
    expect(columns.nth(1).locator("figcaption")).to_contain_text("media-b step 1")
    page.locator("#media-step").fill("0")
    expect(columns.nth(1).locator("figcaption")).to_contain_text("media-b step 0")
    assert "step=0" in page.url
    page.select_option("#media-key", "weights")
    expect(page.locator("#media .distribution")).to_have_count(2)
    page.wait_for_function(
        "[...document.querySelectorAll('#media .distribution')].every("
        "el => el.data?.[0].type === 'heatmap')"
    )
    assert "media=weights" in page.url
    page.select_option("#media-key", "segmentation")
    expect(columns.nth(0).locator("figcaption")).to_contain_text("step 2")
    page.locator("#media").scroll_into_view_if_needed()
    doc_image(shot("compare-media"), "compare-media.png")
