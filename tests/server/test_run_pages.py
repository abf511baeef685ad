"""``POST /api/v1/runs/page`` and the web UI's static files, served by the app."""

from __future__ import annotations

import time

from inprocess import InProcessServer


def test_pages_slice_the_search_and_count_every_match(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    for i in range(5):
        run = api.post("/runs", json={"project": "p", "name": f"r{i}", "config": {"i": i}}).json()
        api.post(f"/runs/{run['id']}/summary", json={"values": {"score": i}})
    api.post("/runs", json={"project": "other"})
    query = {"projects": ["p"], "order_by": ["metrics.score DESC"]}
    every = [r["name"] for r in api.post("/runs/search", json=query).json()["runs"]]
    assert every == ["r4", "r3", "r2", "r1", "r0"]
    page = api.post("/runs/page", json={**query, "offset": 1, "limit": 2}).json()
    assert [r["name"] for r in page["runs"]] == ["r3", "r2"]
    assert (page["total"], page["offset"]) == (5, 1)
    assert page["runs"][0]["config"] == {"i": 3} and page["runs"][0]["summary"] == {"score": 3}
    past_end = api.post("/runs/page", json={**query, "offset": 9}).json()
    assert (past_end["runs"], past_end["total"]) == ([], 5)
    filtered = api.post("/runs/page", json={**query, "filter": "params.i < 2"}).json()
    assert filtered["total"] == 2


def test_bad_page_requests_are_refused_with_a_reason(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    api.post("/runs", json={"project": "p"})
    for body, fragment in [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"filter": "metrics.a >> 1"}, "unexpected"),
        ({"order_by": ["metrics.a SIDEWAYS"]}, "expected ASC, DESC"),
        ({"lifecycle": "gone"}, "lifecycle"),
    ]:
        answer = api.post("/runs/page", json=body)
        assert answer.status_code == 400, body
        assert fragment in answer.json()["message"], (body, answer.json())
    assert api.post("/runs/page", json={"projects": ["nope"]}).status_code == 404


def test_the_ui_is_served_with_plotly_from_the_python_package(server: InProcessServer) -> None:
    web = server.client()
    index = web.get("/")
    assert index.status_code == 200 and '<script type="module" src="/ui/app.js">' in index.text
    app = web.get("/ui/app.js")
    assert app.status_code == 200 and "javascript" in app.headers["content-type"]
    bundle = web.get("/ui/plotly.min.js")  # httpx asks for gzip and decodes it
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
    assert bundle.headers["content-encoding"] == "gzip"
    assert int(bundle.headers["content-length"]) < len(bundle.content) / 2
    assert bundle.content.startswith(b"//# allFunctionsCalledOnLoad\n/**\n* plotly.js v")
    assert "max-age" in bundle.headers["cache-control"]
    again = web.get("/ui/plotly.min.js", headers={"If-None-Match": bundle.headers["etag"]})
    assert again.status_code == 304 and not again.content
    plain = web.get("/ui/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == bundle.content
    # The partial bundle for line charts: vendored, served the same way, a quarter the size.
    basic = web.get("/ui/plotly-basic.min.js")
    assert basic.status_code == 200 and basic.headers["content-encoding"] == "gzip"
    assert basic.content.startswith(b"//# allFunctionsCalledOnLoad\n/**\n* plotly.js (basic")
    assert len(basic.content) < len(bundle.content) / 3
    version = bundle.content.split(b"\n")[2].split(b" v")[1]
    assert basic.content.split(b"\n")[2].endswith(b" v" + version)  # the same plotly.js
    again = web.get("/ui/plotly-basic.min.js", headers={"If-None-Match": basic.headers["etag"]})
    assert again.status_code == 304
    assert web.get("/ui/%2e%2e/routes.py").status_code == 404
    assert web.get("/ui/nothing.js").status_code == 404


def test_the_ui_page_starts_compressing_plotly_before_a_chart_asks_for_it() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from tracklog.server.ui import routes

    routes._read_bundle.cache_clear()
    routes._warming.clear()
    app = FastAPI()
    routes.mount_ui(app)
    assert TestClient(app).get("/").status_code == 200
    deadline = time.monotonic() + 30
    while routes._read_bundle.cache_info().currsize < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert routes._read_bundle.cache_info().currsize == 2  # compressed with no request for it
    assert routes.plotly_bundle().gzipped.startswith(b"\x1f\x8b")
