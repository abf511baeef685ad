"""Media in the browser: the run page's panels (images with mask and box overlays, audio,
video, HTML, text, histogram distributions), logged HTML kept away from the UI's origin, and
the compare page's media side by side."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
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


def doc_image(part: Locator, name: str) -> None:
    """With TRACKLOG_UPDATE_DOCS_IMAGES=1, a screenshot of ``part`` as docs/images/NAME."""
    if os.environ.get("TRACKLOG_UPDATE_DOCS_IMAGES") == "1":
        # Chromium paints a sandboxed frame only inside the viewport: make it hold the page.
        page = part.page
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": 1280, "height": height})
        part.screenshot(path=DOCS_IMAGES / name, animations="disabled")


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
    # The clip plays; paused, its slider shows any frame: frame t has a red column at x = 4t.
    rollout = media.locator("[data-key=rollout] .gif-player")
    expect(rollout.locator(".frame-label")).to_contain_text("/4")
    rollout.locator("button.play").click()
    expect(rollout.locator("button.play")).to_have_attribute("title", "play")
    rollout.locator("input.frame-slider").fill("2")
    expect(rollout.locator(".frame-label")).to_have_text("frame 3/4")
    red = "c => Array.from(c.getContext('2d').getImageData({x}, 5, 1, 1).data)"
    canvas = rollout.locator("canvas")
    assert canvas.evaluate(red.format(x=8)) == [255, 0, 0, 255]
    assert canvas.evaluate(red.format(x=4)) == [0, 0, 0, 255]
    rollout.locator("button.play").click()
    expect(rollout.locator("button.play")).to_have_attribute("title", "pause")
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
    shot("media")
    doc_image(media.locator(".media-panels"), "media.png")


def test_logged_html_cannot_read_the_ui_nor_call_its_api(
    page: Page, ui_server: ServerProcess, page_errors: PageErrors
) -> None:
    # What the browser logs as it refuses the probe's requests.
    page_errors.expect("violates the following Content Security Policy directive")
    page_errors.expect("Refused to connect because it violates the document's Content Security")
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
    assert probe == {
        "cookie": "blocked",
        "marker": "blocked",
        "own": "blocked",
        "api": "blocked",
        "post": "blocked",
    }
    assert page.evaluate("window.pwned") is None
    projects = httpx.get(f"{ui_server.url}/api/v1/projects", timeout=30).text
    assert "made-by-logged-html" not in projects
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
    page.select_option("#media-key", "predictions")  # a table per run, each paged on its own
    expect(page.locator("#media .table-viewer .table-info")).to_have_text(
        ["1–50 of 120 rows", "1–50 of 120 rows"]
    )
    page.locator("#media .media-column").nth(1).locator("button.table-next").click()
    expect(page.locator("#media .table-viewer .table-info")).to_have_text(
        ["1–50 of 120 rows", "51–100 of 120 rows"]
    )
    page.select_option("#media-key", "segmentation")
    expect(columns.nth(0).locator("figcaption")).to_contain_text("step 2")
    shot("compare-media")
    doc_image(page.locator("#media"), "compare-media.png")


def test_table_viewer_sorts_filters_and_pages_on_the_server(
    page: Page, ui_server: ServerProcess, page_errors: PageErrors, shot: Callable[[str], Path]
) -> None:
    page.goto(f"/#/runs/{run_ids(ui_server)['media-a']}")
    viewer = page.locator("[data-key=predictions] .table-viewer")
    info = viewer.locator(".table-info")
    expect(info).to_have_text("1–50 of 120 rows")
    rows = viewer.locator("tbody tr")
    expect(rows).to_have_count(50)
    first = viewer.locator("tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("0")
    # Image cells are thumbnails of the cell's own file, captioned.
    thumb = first.locator("img.thumb")
    expect(thumb).to_have_attribute("title", "sample 0")
    page.wait_for_function(
        "document.querySelector('[data-key=predictions] img.thumb').naturalWidth === 8"
    )

    viewer.locator("button.table-next").click()
    expect(info).to_have_text("51–100 of 120 rows")
    expect(first.locator("td").nth(0)).to_have_text("50")

    # Sorting (on the server, over all rows) goes back to the first page.
    viewer.locator("th[data-col=score] button").click()
    expect(viewer.locator("th[data-col=score]")).to_contain_text("▲")
    expect(info).to_have_text("1–50 of 120 rows")
    viewer.locator("th[data-col=score] button").click()
    expect(viewer.locator("th[data-col=score]")).to_contain_text("▼")
    scores = [float(s) for s in viewer.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and len(scores) == 50

    viewer.locator("input.table-filter").fill("label = 'dog' and score > 0.7")
    viewer.locator("input.table-filter").press("Enter")
    labels = viewer.locator("tbody tr td:nth-child(2)")
    expect(labels.first).to_have_text("dog")
    assert set(labels.all_inner_texts()) == {"dog"}
    assert all(float(s) > 0.7 for s in viewer.locator("tbody td:nth-child(3)").all_inner_texts())
    expect(info).not_to_contain_text("of 120")

    # A filter the server refuses says why, under the box; the rows shown stay.
    page_errors.expect("status of 400")
    viewer.locator("input.table-filter").fill("score >")
    viewer.locator("input.table-filter").press("Enter")
    expect(viewer.locator(".filter-error")).to_contain_text("expected a value")
    expect(viewer.locator("input.table-filter")).to_have_attribute("aria-invalid", "true")
    assert set(labels.all_inner_texts()) == {"dog"}
    viewer.locator("input.table-filter").fill("")
    viewer.locator("input.table-filter").press("Enter")
    expect(info).to_have_text("1–50 of 120 rows")
    expect(viewer.locator(".filter-error")).to_have_count(0)
    shot("media-table")
    doc_image(page.locator("[data-key=predictions]"), "media-table.png")


def test_plots_are_drawn_from_their_tables(page: Page, ui_server: ServerProcess) -> None:
    page.goto(f"/#/runs/{run_ids(ui_server)['media-a']}")

    def traces(key: str) -> list[dict[str, object]]:
        selector = f"[data-key='{key}'] .chart.plot"
        page.wait_for_function(f'document.querySelector("{selector}")?.data?.length > 0')
        return list(
            page.eval_on_selector(
                selector,
                "el => el.data.map(t => ({type: t.type, name: t.name ?? null, x: t.x, "
                "y: t.y, z: t.z ?? null}))",
            )
        )

    (matrix,) = traces("confusion")
    assert matrix["type"] == "heatmap" and matrix["x"] == ["cat", "dog", "bird"]
    z = matrix["z"]
    assert isinstance(z, list) and sum(map(sum, z)) == 120
    roc = traces("roc")
    assert [t["name"] for t in roc] == ["cat", "dog", "bird", "chance"]
    loss = traces("loss-curve")
    assert [(t["name"], t["y"][0]) for t in loss] == [("train", 1.0), ("val", 1.2)]
