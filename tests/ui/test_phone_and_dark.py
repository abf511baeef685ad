"""Every page on a phone-sized screen and in both themes: nothing wider than the screen, no
console error (the page fixture fails on any), and a screenshot of each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from server_process import ServerProcess

PHONE = {"width": 390, "height": 844}
# The elements past the screen's right edge, outside boxes that scroll by themselves.
WIDEST = """[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > innerWidth && !e.closest(".table-wrap"))
  .slice(0, 8).map((e) => `${e.tagName}.${e.className}`)"""


def pages(ui_server: ServerProcess) -> dict[str, tuple[str, str]]:
    """Page name -> (URL, a selector that shows once the page has drawn)."""
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    runs = api.post("/runs/search", json={"projects": ["vision"]}).json()["runs"]
    ids = {r["name"]: r["id"] for r in runs}
    pair = f"{ids['resnet-a']},{ids['vit-c']}"
    return {
        "projects": ("/#/", "table.projects tbody tr"),
        "runs": ("/#/projects/vision", "table.runs tbody tr"),
        "run": (f"/#/runs/{ids['resnet-a']}", ".chart[data-metric=loss] .main-svg"),
        "charts": ("/#/charts?project=vision", ".chart[data-metric=loss] .main-svg"),
        "compare": (f"/#/compare?project=vision&runs={pair}", "#parcoords .main-svg"),
    }


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_fits_a_phone_in_both_themes(
    page: Page, ui_server: ServerProcess, shot: Callable[[str], Path], theme: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/")
    page.evaluate(f"localStorage.setItem('tracklog.theme', '{theme}')")
    page.reload()  # the theme is read as the page loads
    for name, (url, drawn) in pages(ui_server).items():
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        expect(page.locator(drawn).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        assert width <= PHONE["width"], f"{name}: {width} px wide: {page.evaluate(WIDEST)}"
        shot(f"phone-{name}-{theme}")
