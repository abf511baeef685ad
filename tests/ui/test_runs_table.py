"""Projects and the runs table in the browser: search, sort, filter, paging, selection, bulk."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, Route, expect
from ui_support import SWEEP_RUNS, PageErrors

from server_process import ServerProcess


def first_names(page: Page, n: int) -> list[str]:
    return page.locator("table.runs tbody td[data-col=name]").all_inner_texts()[:n]


def test_projects_list_counts_and_search(page: Page, shot: Callable[[str], Path]) -> None:
    page.goto("/")
    rows = page.locator("table.projects tbody tr")
    for project in ("vision", "nlp", "sweep"):
        expect(page.locator(f"tr[data-project={project}]")).to_be_visible()
    expect(page.locator("tr[data-project=sweep] td").nth(1)).to_have_text(str(SWEEP_RUNS))
    shot("projects")
    page.fill("#project-search", "VIS")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("vision")
    assert "q=VIS" in page.url
    page.fill("#project-search", "zzz")
    expect(rows.first).to_contain_text('No project matches "zzz"')


def test_runs_table_pages_sorts_and_keeps_state_in_url(
    page: Page, shot: Callable[[str], Path]
) -> None:
    page.goto("/#/projects/sweep")
    expect(page.locator("#page-info")).to_have_text(f"1–50 of {SWEEP_RUNS}")
    page.click("#next-page")
    expect(page.locator("#page-info")).to_have_text(f"51–{SWEEP_RUNS} of {SWEEP_RUNS}")
    page.click("#prev-page")
    # The summary metric and the config key that varies are columns by default.
    expect(page.locator("th", has_text="params.width")).to_be_visible()
    header = page.locator("th.sortable button", has_text="metrics.score")
    header.click()
    expect(page.locator("table.runs tbody tr").first).to_contain_text("sweep-00")
    header.click()
    expect(page.locator("table.runs tbody tr").first).to_contain_text("sweep-54")
    expect(page.locator("td[data-col='metrics.score']").first).to_have_text("5.4")
    shot("runs")
    # A link reproduces the view: the column and the sort come back from the URL.
    url = page.url
    assert "DESC" in url
    page.goto("/")
    page.goto(url)
    expect(page.locator("table.runs tbody tr").first).to_contain_text("sweep-54")
    expect(page.locator("th", has_text="metrics.score")).to_be_visible()
    page.locator("th.sortable button", has_text="name").click()
    expect(page.locator("table.runs tbody tr").first).to_contain_text("sweep-00")
    assert first_names(page, 2) == ["sweep-00", "sweep-01"]


def test_a_late_answer_never_replaces_a_newer_one(page: Page) -> None:
    """Sorting twice quickly: the second sort's rows stay even if the first answer comes last."""
    held: list[Route] = []

    def hold_descending(route: Route) -> None:
        if "DESC" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    page.goto("/#/projects/sweep")
    expect(page.locator("table.runs tbody tr")).to_have_count(50)
    page.route("**/api/v1/runs/page", hold_descending)
    name = page.locator("th.sortable button", has_text="name")
    name.click()
    expect(page.locator("td[data-col=name]").first).to_have_text("sweep-00")
    name.click()  # name DESC: its answer is held back
    start = page.locator("th.sortable button", has_text="start")
    with page.expect_response(lambda r: "start_time ASC" in (r.request.post_data or "")):
        start.click()  # start ASC, answered now
    expect(page.locator("td[data-col=name]").first).to_have_text("sweep-00")
    assert len(held) == 1
    with page.expect_response(lambda r: "DESC" in (r.request.post_data or "")):
        held[0].continue_()
    page.wait_for_timeout(500)  # time to draw the late answer, were it drawn
    assert first_names(page, 1) == ["sweep-00"]
    assert "attributes.start_time" in page.url


def test_filter_and_quick_search(page: Page, page_errors: PageErrors) -> None:
    page.goto("/#/projects/sweep")
    expect(page.locator("table.runs tbody tr")).to_have_count(50)
    page.locator("#filter").press_sequentially("metrics.sc")
    expect(page.locator("#filter-suggestions li").first).to_have_text("metrics.score")
    page.press("#filter", "Tab")  # completes the key
    expect(page.locator("#filter")).to_have_value("metrics.score ")
    page.locator("#filter").press_sequentially("> 5 AND params.wi")
    page.locator("#filter-suggestions li", has_text="params.width").click()
    page.locator("#filter").press_sequentially(">= 52")
    expect(page.locator("#filter")).to_have_value("metrics.score > 5 AND params.width >= 52")
    page.press("#filter", "Enter")
    expect(page.locator("#page-info")).to_have_text("1–3 of 3")
    assert sorted(first_names(page, 5)) == ["sweep-52", "sweep-53", "sweep-54"]

    page_errors.expect("status of 400")  # the server refuses the bad filter
    page.fill("#filter", "metrics.score >> 1")
    page.click("#apply-filter")
    error = page.locator("#filter-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("unexpected '>'")
    expect(page.locator("#filter")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("table.runs tbody tr")).to_have_count(0)

    page.fill("#filter", "")
    page.press("#filter", "Enter")
    expect(error).to_be_hidden()
    page.fill("#quick-search", "sweep-1")
    expect(page.locator("#page-info")).to_have_text("1–10 of 10")
    assert "q=sweep-1" in page.url


def test_select_with_shift_click_then_tag_delete_and_restore(page: Page) -> None:
    page.goto("/#/projects/vision")
    boxes = page.locator("table.runs tbody input[type=checkbox]")
    expect(boxes).to_have_count(3)
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    boxes.nth(1).click()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    assert re.search(r"sel=\w+%2C\w+", page.url)

    page.goto("/#/projects/nlp")
    page.locator("table.runs tbody input[type=checkbox]").first.click()
    page.fill("#tag-input", "reviewed=yes")
    page.click("#bulk-tag")
    expect(page.locator("#table-status")).to_have_text("1 run tagged.")
    expect(page.locator("table.runs tbody td[data-col=tags]")).to_contain_text("reviewed=yes")
    page.click("#bulk-delete")
    expect(page.locator("#empty-state")).to_contain_text("No runs here yet")
    page.check("#show-trash")
    expect(page.locator("table.runs tbody tr").first).to_contain_text("(in trash)")
    page.click("#bulk-restore")
    expect(page.locator("table.runs tbody tr").first).not_to_contain_text("(in trash)")
    page.uncheck("#show-trash")
    expect(page.locator("table.runs tbody tr")).to_have_count(1)


def test_keyboard_moves_selects_and_opens(page: Page) -> None:
    page.goto("/#/projects/vision")
    expect(page.locator("table.runs tbody tr")).to_have_count(3)
    page.focus("table.runs")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    expect(page.locator("#selected-count")).to_have_text("1 selected")
    expect(page.locator("table.runs tbody tr.selected")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#/runs/\w+"))


def test_group_rows_by_a_config_key(page: Page) -> None:
    page.goto("/#/projects/vision")
    expect(page.locator("table.runs tbody tr[data-id]")).to_have_count(3)
    page.select_option("#group-rows", "model")
    groups = page.locator("table.runs tr.group-row")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_have_text("model = resnet (2 on this page)")
    expect(groups.nth(1)).to_have_text("model = vit (1 on this page)")
    # The group key sorts first: resnet's two runs, then vit's heading and run.
    expect(page.locator("table.runs tbody tr").nth(3)).to_have_class("group-row")
    assert "group=model" in page.url
    boxes = page.locator("table.runs tbody tr[data-id] input[type=checkbox]")
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(page.locator("#selected-count")).to_have_text("3 selected")


def test_pickers_offer_every_key_of_the_project_and_duration_sorts(
    page: Page, ui_server: ServerProcess
) -> None:
    # 55 runs: the oldest (on the second page) alone has the keys "rare"; the durations are a
    # permutation of 1..55 s, so neither start nor end order gives the duration order.
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    ends: dict[str, int] = {}
    durations: dict[str, int] = {}
    for i in range(55):
        config = {"rare": 1} if i == 0 else {"common": i}
        start = 1_700_000_000_000 + i * 1000
        body = {"project": "keys", "name": f"k-{i:02d}", "config": config, "start_time": start}
        run = api.post("/runs", json=body).json()
        if i == 0:
            api.post(f"/runs/{run['id']}/summary", json={"values": {"rare_metric": 1.0}})
            api.post(f"/runs/{run['id']}/tags", json={"tags": {"rare_tag": "yes"}})
        durations[f"k-{i:02d}"] = ((i * 17 + 20) % 55 + 1) * 1000
        ends[f"k-{i:02d}"] = start + durations[f"k-{i:02d}"]
        finish = {"status": "FINISHED", "end_time": ends[f"k-{i:02d}"]}
        api.post(f"/runs/{run['id']}/finish", json=finish)
    page.goto("/#/projects/keys?cols=")  # no extra columns: every key is offered
    expect(page.locator("table.runs tbody tr")).to_have_count(50)
    for key in ("params.rare", "metrics.rare_metric", "tags.rare_tag"):
        expect(page.locator(f"#add-column option[value='{key}']")).to_have_count(1)
    expect(page.locator("#group-rows option[value=rare]")).to_have_count(1)
    page.locator("#filter").press_sequentially("tags.ra")
    expect(page.locator("#filter-suggestions li").first).to_have_text("tags.rare_tag")
    page.press("#filter", "Escape")

    def sorts(header: str, first_ascending: str, first_descending: str) -> None:
        button = page.locator("th.sortable button", has_text=header)
        button.click()
        expect(page.locator("td[data-col=name]").first).to_have_text(first_ascending)
        button.click()
        expect(page.locator("td[data-col=name]").first).to_have_text(first_descending)

    page.select_option("#add-column", "tags.rare_tag")
    sorts("tags.rare_tag", "k-00", "k-00")  # the one run with the tag; the others last
    sorts("duration", min(durations, key=durations.get), max(durations, key=durations.get))
    assert "attributes.duration" in page.url
    page.select_option("#add-column", "attributes.end_time")
    sorts("attributes.end_time", min(ends, key=ends.get), max(ends, key=ends.get))


def test_default_columns_are_the_summary_and_the_varying_config(
    page: Page, shot: Callable[[str], Path]
) -> None:
    page.goto("/#/projects/results")
    expect(page.locator("table.runs tbody tr")).to_have_count(2)
    extra = ["metrics.best_val_acc", "metrics.lr", "metrics.test_acc", "metrics.val_loss"]
    headers = page.locator("table.runs thead th")
    expect(headers).to_contain_text(
        ["", "name", "status", "user", "start", "duration", "tags", *extra, "params.lr"]
    )  # epochs and model are the same in both
    expect(page.locator("#add-column option[value='params.epochs']")).to_have_count(1)
    # Numbers and their headers are right-aligned; text stays left.
    loss = page.locator("th", has_text="metrics.val_loss")
    expect(loss).to_have_css("text-align", "right")
    expect(page.locator("td[data-col='metrics.val_loss']").first).to_have_css("text-align", "right")
    expect(page.locator("th", has_text="name")).to_have_css("text-align", "left")
    expect(page.locator("th", has_text="duration")).to_have_css("text-align", "right")
    page.locator("th.sortable button", has_text="params.lr").click()
    expect(page.locator("td[data-col=name]").first).to_have_text("results-a")
    page.locator("th.sortable button", has_text="params.lr").click()
    expect(page.locator("td[data-col=name]").first).to_have_text("results-b")
    shot("runs-default-columns")

    # The user's own choice is kept for the project: the URL, and this browser.
    page.locator("th", has_text="metrics.lr").locator("button.remove").click()
    page.select_option("#add-column", "params.epochs")
    chosen = [*[c for c in extra if c != "metrics.lr"], "params.lr", "params.epochs"]
    assert f"cols={'%2C'.join(chosen)}" in page.url
    page.goto("/#/projects/vision")  # another project keeps its own default
    expect(page.locator("th", has_text="metrics.acc")).to_be_visible()
    expect(page.locator("th", has_text="params.epochs")).to_have_count(0)
    page.goto("/#/projects/results")
    expect(page.locator("th", has_text="params.epochs")).to_be_visible()
    expect(page.locator("th", has_text="metrics.lr")).to_have_count(0)
    # A link's columns win over the kept choice.
    page.goto("/#/projects/results?cols=metrics.val_loss")
    expect(page.locator("table.runs thead th")).to_have_count(8)
    expect(page.locator("th", has_text="params.epochs")).to_have_count(0)


def test_default_columns_follow_the_keys_of_runs_that_come(
    page: Page, ui_server: ServerProcess
) -> None:
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    api.post("/runs", json={"project": "growing", "name": "first", "config": {"lr": 0.1}})
    with page.expect_request(lambda r: "/api/v1/events?project=growing" in r.url):
        page.goto("/#/projects/growing")
    expect(page.locator("td[data-col=name]", has_text="first")).to_be_visible()
    later = api.post("/runs", json={"project": "growing", "name": "later", "config": {"lr": 0.2}})
    run_id = later.json()["id"]
    api.post(f"/runs/{run_id}/summary", json={"values": {"acc": 0.5}})
    api.post(f"/runs/{run_id}/finish", json={"status": "FINISHED"})
    expect(page.locator("th", has_text="metrics.acc")).to_be_visible()
    expect(page.locator("th", has_text="params.lr")).to_be_visible()  # it varies now


def test_runs_table_follows_the_project_live(
    page: Page, ui_server: ServerProcess, shot: Callable[[str], Path]
) -> None:
    """Runs that start, log a summary and finish show in the open table, without a reload."""
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    first = api.post("/runs", json={"project": "followed", "name": "first"}).json()["id"]

    def row(name: str) -> Locator:
        return page.locator(
            "table.runs tbody tr", has=page.locator("td[data-col=name]", has_text=name)
        )

    with page.expect_request(lambda r: "/api/v1/events?project=followed" in r.url):
        page.goto("/#/projects/followed?cols=metrics.score")
    expect(row("first").locator(".status-running")).to_be_visible()
    page.evaluate("window.sameDocument = true")
    api.post("/runs", json={"project": "followed", "name": "second"})
    expect(row("second")).to_be_visible()
    expect(page.locator("#page-info")).to_have_text("1–2 of 2")
    api.post(f"/runs/{first}/summary", json={"values": {"score": 0.75}})
    expect(row("first").locator("td[data-col='metrics.score']")).to_have_text("0.75")
    api.post(f"/runs/{first}/finish", json={"status": "FINISHED"})
    expect(row("first").locator(".status-finished")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    shot("runs-live")


def test_runs_table_follows_its_project_renamed_or_trashed(
    page: Page, ui_server: ServerProcess, shot: Callable[[str], Path]
) -> None:
    """Renamed by another client while the table is open, the project stays followed under
    its new name (the URL too); trashed, the table says so."""
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    mlflow = httpx.Client(base_url=f"{ui_server.url}/api/2.0/mlflow")
    api.post("/runs", json={"project": "before-rename", "name": "kept"})
    with page.expect_request(lambda r: "/api/v1/events?project=before-rename" in r.url):
        page.goto("/#/projects/before-rename?cols=metrics.score")
    expect(page.locator("td[data-col=name]", has_text="kept")).to_be_visible()
    exp = mlflow.get("/experiments/get-by-name", params={"experiment_name": "before-rename"})
    exp_id = exp.json()["experiment"]["experiment_id"]
    renamed = {"experiment_id": exp_id, "new_name": "after-rename"}
    # The page follows the new name with a new event stream: the run below comes once it listens.
    with page.expect_request(lambda r: "/api/v1/events?project=after-rename" in r.url):
        mlflow.post("/experiments/update", json=renamed).raise_for_status()
    expect(page.locator("h1")).to_contain_text("after-rename")
    assert "#/projects/after-rename?cols=metrics.score" in page.url
    expect(page.locator("#table-status")).to_contain_text(
        'The project "before-rename" was renamed to "after-rename".'
    )
    api.post("/runs", json={"project": "after-rename", "name": "later"})  # followed live
    expect(page.locator("td[data-col=name]", has_text="later")).to_be_visible()
    mlflow.post("/experiments/delete", json={"experiment_id": exp_id}).raise_for_status()
    expect(page.locator("#table-status")).to_contain_text("This project is in the trash")
    expect(page.locator("#table-status")).not_to_contain_text("refused")
    shot("runs-renamed")
    page.go_back()  # the old name's page was replaced: back leads where the user came from
    assert "before-rename" not in page.url


def test_mlflow_ui_links_open_the_matching_pages(page: Page, ui_server: ServerProcess) -> None:
    """What the mlflow client prints ("View run … at: HOST/#/experiments/2/runs/ID") opens."""
    api = httpx.Client(base_url=f"{ui_server.url}/api/v1")
    vision = next(p for p in api.get("/projects").json()["projects"] if p["name"] == "vision")
    run_id = api.post("/runs/search", json={"projects": ["vision"]}).json()["runs"][0]["id"]
    page.goto(f"/#/experiments/{vision['id']}/runs/{run_id}")
    expect(page).to_have_url(re.compile(rf"#/runs/{run_id}$"))
    page.goto(f"/#/experiments/{vision['id']}")
    expect(page).to_have_url(re.compile(r"#/projects/vision$"))
    expect(page.locator("table.runs tbody tr[data-id]")).to_have_count(3)
    page.goto(f'/#/compare-runs?runs=["{run_id}"]&experiments=["{vision["id"]}"]')
    expect(page).to_have_url(re.compile(rf"#/compare\?runs={run_id}$"))
    page.goto("/#/experiments/999999")
    expect(page.locator("#app")).to_contain_text("No project has the MLflow experiment id 999999")


def test_context_summaries_are_columns_and_filter_keys(page: Page) -> None:
    # The seeded "aim" runs track acc in context subset=val and loss in train and val.
    page.goto("/#/projects/aim")
    expect(page.locator("table.runs tbody tr")).to_have_count(2)
    # Summary metrics are among the default columns, context summaries too.
    for key in ("metrics.acc[subset=val]", "metrics.loss[subset=train]"):
        expect(page.locator("th.sortable button", has_text=key)).to_have_count(1)
    header = page.locator("th.sortable button", has_text="metrics.acc[subset=val]")
    header.click()
    expect(page.locator("td[data-col='metrics.acc[subset=val]']").first).to_have_text("0.98")
    page.fill("#filter", "metrics.acc[subset=val] > 0.9 AND metrics.loss[subset=train] < 0.1")
    page.press("#filter", "Enter")
    expect(page.locator("#page-info")).to_have_text("1–2 of 2")
    page.fill("#filter", "metrics.acc[subset=val] > 0.99")
    page.press("#filter", "Enter")
    expect(page.locator("table.runs tbody tr")).to_have_count(0)
