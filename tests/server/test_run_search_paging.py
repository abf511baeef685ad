"""``POST /api/v1/runs/search`` a page at a time: ``limit`` and ``next_page_token``."""

from __future__ import annotations

from inprocess import InProcessServer
from tracklog.client.remote import RemoteStore
from tracklog.store.paging import PageSpec, token
from tracklog.store.run_query import RunQuery


def test_the_native_listing_pages_with_tokens(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    for i in range(5):
        run = api.post("/runs", json={"project": "p", "name": f"r{i}"}).json()
        api.post(f"/runs/{run['id']}/summary", json={"values": {"score": i}})
    query = {"projects": ["p"], "order_by": ["metrics.score DESC"], "limit": 2}
    first = api.post("/runs/search", json=query).json()
    assert [r["name"] for r in first["runs"]] == ["r4", "r3"]
    second = api.post("/runs/search", json={**query, "page_token": first["next_page_token"]})
    assert [r["name"] for r in second.json()["runs"]] == ["r2", "r1"]
    last = api.post("/runs/search", json={**query, "page_token": second.json()["next_page_token"]})
    assert [r["name"] for r in last.json()["runs"]] == ["r0"]
    assert "next_page_token" not in last.json()
    whole = api.post("/runs/search", json={"projects": ["p"]}).json()  # no limit: every run
    assert len(whole["runs"]) == 5 and "next_page_token" not in whole


def test_a_bad_page_token_is_refused_naming_it(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    api.post("/runs", json={"project": "p"})
    for body, fragment in [
        ({"limit": 2, "page_token": "%%%"}, "invalid page_token"),
        ({"page_token": "eyJvZmZzZXQiOiAyfQ=="}, "page_token needs the limit"),
        ({"limit": 2, "page_token": token(2**63)}, "invalid page_token"),
        ({"limit": 2**63 - 1}, "limit"),
    ]:
        answer = api.post("/runs/search", json=body)
        assert answer.status_code == 400, body
        assert fragment in answer.json()["message"], (body, answer.json())


def test_a_remote_store_pages_like_a_local_one(server: InProcessServer) -> None:
    remote = RemoteStore(server.url)
    for i in range(5):
        run = remote.create_run("p", name=f"r{i}")
        remote.set_summary(run.id, {"score": i})
    order = ("metrics.score DESC",)
    pages = [
        remote.search_runs_page(RunQuery(order_by=order, projects=("p",), page=PageSpec(at, 2)))
        for at in (0, 2, 4)
    ]
    assert [[r.name for r in page.items] for page in pages] == [["r4", "r3"], ["r2", "r1"], ["r0"]]
    assert [page.next_offset for page in pages] == [2, 4, None]
    assert [r.name for r in remote.search_runs(["p"], order_by=list(order), limit=1)] == ["r4"]
