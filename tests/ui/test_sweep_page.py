"""The sweep page in the browser: reached from the project's runs page and from a trial's run,
its trials sorted by the metric, the best-so-far, parallel-coordinates and importance views,
live updates while a trial runs, the controls and their refusal; and a run's alerts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from ui_support import PageErrors

from server_process import ServerProcess

CONFIG = {
    "method": "grid",
    "name": "lr-search",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "parameters": {
        "lr": {"values": [0.1, 0.01, 0.001]},
        "optimizer": {"values": ["sgd", "adam"]},
    },
}
# (lr, optimizer, val_loss) of the trials that end before the page opens; trial 4 runs.
ENDED = [(0.1, "sgd", 0.9), (0.1, "adam", 0.7), (0.01, "sgd", 0.4), (0.01, "adam", 0.2)]


class Seeded:
    """A sweep of CONFIG in a project of its own, seeded through the API as agents would."""

    def __init__(self, url: str) -> None:
        self.api = httpx.Client(base_url=f"{url}/api/v1")
        self.project = f"tuning-{uuid.uuid4().hex[:8]}"
        made = self.api.post("/sweeps", json={"project": self.project, "config": CONFIG})
        assert made.status_code == 201, made.text
        self.id: str = made.json()["id"]
        self.runs: list[str] = []

    def start(self, number: int, lr: float, optimizer: str) -> str:
        params = {"lr": lr, "optimizer": optimizer}
        body = {"project": self.project, "name": f"trial-{number}", "config": params}
        run = self.ok("POST", "/runs", json=body)["id"]
        tags = {"sweep_id": self.id, "sweep_trial": str(number)}
        self.ok("POST", f"/runs/{run}/tags", json={"tags": tags})
        claim = {"number": number, "params": params, "run_id": run, "owner": {}}
        assert self.ok("POST", f"/sweeps/{self.id}/claims", json=claim)["outcome"] == "claimed"
        self.runs.append(run)
        return run

    def end(self, number: int, loss: float) -> None:
        run = self.runs[number]
        self.ok("POST", f"/runs/{run}/summary", json={"values": {"val_loss": loss}})
        self.ok("POST", f"/runs/{run}/finish", json={"status": "FINISHED"})
        end = {"run_id": run, "status": "FINISHED", "metric": loss}
        assert self.ok("POST", f"/sweeps/{self.id}/trials/{number}/end", json=end)["ended"]

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.api.request(method, path, **kwargs)
        assert answer.is_success, (path, answer.status_code, answer.text)
        return answer.json() if answer.content else None


@pytest.fixture
def seeded(ui_server: ServerProcess) -> Seeded:
    sweep = Seeded(ui_server.url)
    for number, (lr, optimizer, loss) in enumerate(ENDED):
        sweep.start(number, lr, optimizer)
        sweep.end(number, loss)
    sweep.start(4, 0.001, "sgd")
    return sweep


def _column(page: Page, index: int) -> list[str]:
    return page.locator(f"#trials tbody tr td:nth-child({index})").all_inner_texts()


def test_sweep_page_from_the_project_live_and_sorted(
    page: Page, seeded: Seeded, shot: Callable[[str], Path]
) -> None:
    page.goto(f"/#/projects/{seeded.project}")
    listing = page.locator("#sweeps tr", has_text="lr-search")
    expect(listing).to_contain_text("grid")
    expect(listing).to_contain_text("val_loss")
    listing.locator("a").click()

    expect(page.locator("h1")).to_contain_text("sweep lr-search")
    overview = page.locator("#sweep-overview")
    expect(overview).to_contain_text("val_loss (minimize)")
    expect(overview).to_contain_text("4 finished, 1 running")
    expect(page.locator("#sweep-best")).to_contain_text(f"0.2 (trial 3, run {seeded.runs[3]})")
    expect(page.locator("li.leaf[data-path='parameters.lr.values']")).to_be_visible()
    expect(page.locator("#trials tbody tr")).to_have_count(5)
    # Sorted by the metric toward the goal: the lowest loss first, the running trial last.
    assert _column(page, 1) == ["3", "2", "1", "0", "4"]
    page.locator("#trials th[data-key=metric] button").click()
    expect(page.locator("#trials th[data-key=metric]")).to_have_attribute("aria-sort", "descending")
    assert _column(page, 1) == ["0", "1", "2", "3", "4"]
    page.locator("#trials th[data-key='params.optimizer'] button").click()
    assert _column(page, 1) == ["1", "3", "0", "2", "4"]

    expect(page.locator("#best-so-far .scatterlayer .trace")).to_have_count(2)
    expect(page.locator("#sweep-parcoords .parcoords")).to_have_count(1)
    labels = page.eval_on_selector(
        "#sweep-parcoords", "el => el.data[0].dimensions.map(d => d.label)"
    )
    assert labels == ["lr", "optimizer", "val_loss"]
    importance = page.locator("#importance tbody tr")
    expect(importance).to_have_count(2)
    # lr: losses 0.9, 0.7 at 0.1 and 0.4, 0.2 at 0.01: r = sqrt(0.25 / 0.29); the optimizer's
    # means (0.65, 0.45) explain less: sqrt(0.04 / 0.29).
    expect(importance.first).to_have_attribute("data-param", "lr")
    expect(importance.first).to_contain_text("0.928")
    expect(importance.nth(1)).to_contain_text("0.371")
    expect(importance.nth(1)).to_contain_text("(categorical)")
    expect(page.locator("#sweep-live")).to_contain_text("Live")

    # The running trial ends while the page is open: the page shows it without a reload.
    seeded.end(4, 0.05)
    running_row = page.locator("#trials tr[data-number='4']")
    expect(running_row.locator("td[data-col=metric]")).to_have_text("0.05")
    expect(overview).to_contain_text("5 finished")
    expect(page.locator("#sweep-best")).to_contain_text("0.05 (trial 4")
    shot("sweep")

    # The trial's run links back to the sweep.
    running_row.locator(f"a[href='#/runs/{seeded.runs[4]}']").click()
    expect(page.locator("h1")).to_contain_text("trial-4")
    expect(page.locator("#run-sweep")).to_contain_text(f"{seeded.id} (trial 4)")
    page.locator("#run-sweep a").click()
    expect(page.locator("h1")).to_contain_text("sweep lr-search")


def test_controls_change_the_sweep_and_show_a_refusal(
    page: Page, seeded: Seeded, page_errors: PageErrors
) -> None:
    page_errors.expect("status of 400")
    page.goto(f"/#/sweeps/{seeded.id}")
    controls = page.locator(".sweep-controls")
    title = page.locator("h1")
    expect(title).to_contain_text("running")
    controls.locator("button[data-action=pause]").click()
    expect(title).to_contain_text("paused")
    assert seeded.ok("GET", f"/sweeps/{seeded.id}")["status"] == "PAUSED"
    controls.locator("button[data-action=resume]").click()
    expect(title).to_contain_text("running")
    controls.locator("button[data-action=stop]").click()
    expect(title).to_contain_text("finished")
    controls.locator("button[data-action=resume]").click()
    expect(page.locator("#sweep-control-error [role=alert]")).to_contain_text("cannot resume sweep")
    assert seeded.ok("GET", f"/sweeps/{seeded.id}")["status"] == "FINISHED"


def test_a_missing_sweep_is_a_clear_error(page: Page, page_errors: PageErrors) -> None:
    page_errors.expect("status of 404")
    page.goto("/#/sweeps/nosuchid")
    expect(page.locator("[role=alert]")).to_contain_text("no sweep with id 'nosuchid'")


def test_run_page_shows_alerts(page: Page, ui_server: ServerProcess) -> None:
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    run = api.post("/runs", json={"project": "alerting", "name": "watched"}).json()["id"]
    for alert_id, title, level, text in [
        ("a1", "Loss spiked", "WARN", "val_loss 9.1 > 5"),
        ("a2", "Diverged", "ERROR", "NaN at step 120"),
    ]:
        body = {"alert_id": alert_id, "title": title, "text": text, "level": level}
        assert api.post(f"/runs/{run}/alerts", json=body).is_success
    page.goto(f"/#/runs/{run}")
    alerts = page.locator("#alerts li")
    expect(alerts).to_have_count(2)
    expect(alerts.first).to_have_attribute("data-level", "WARN")
    expect(alerts.first).to_contain_text("Loss spiked")
    expect(alerts.first).to_contain_text("val_loss 9.1 > 5")
    expect(alerts.nth(1)).to_contain_text("Diverged")
    expect(alerts.first.locator("time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:"))
    # A run without alerts shows no alerts card.
    quiet = api.post("/runs", json={"project": "alerting", "name": "quiet"}).json()["id"]
    page.goto(f"/#/runs/{quiet}")
    expect(page.locator("h1")).to_contain_text("quiet")
    expect(page.locator("#run-alerts")).to_be_hidden()
