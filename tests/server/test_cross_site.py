"""A browser on another site cannot make the server change anything (cross-site request
forgery): a state-changing request a browser marks as cross-site, or sends from another origin
(or from an opaque one, such as logged HTML in a sandboxed frame), is refused with 403 before
any route runs. Programs (the SDK, the mlflow client, curl) send neither header and pass."""

from __future__ import annotations

import pytest

from inprocess import InProcessServer

SAME = {"sec-fetch-site": "same-origin"}
REFUSED = [
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
    {"origin": "null"},
    {"origin": "http://evil.example"},
    {"origin": "http://evil.example", "sec-fetch-site": "cross-site"},
]


@pytest.mark.parametrize(
    "headers", REFUSED, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items())
)
def test_cross_site_writes_are_refused_on_both_apis(
    server: InProcessServer, headers: dict[str, str]
) -> None:
    with server.client() as c:
        native = c.post("/api/v1/runs", json={"project": "csrf"}, headers=headers)
        assert native.status_code == 403
        assert native.json()["error"] == "CROSS_SITE_REQUEST"
        assert "another site" in native.json()["message"]
        # MLflow's routes take a simple form POST (text/plain, no preflight) from any page.
        mlflow = c.post(
            "/api/2.0/mlflow/experiments/create",
            content='{"name": "csrf"}',
            headers={**headers, "content-type": "text/plain"},
        )
        assert mlflow.status_code == 403 and mlflow.json()["error_code"] == "PERMISSION_DENIED"
        projects = c.get("/api/v1/projects").json()["projects"]
        assert "csrf" not in [p["name"] for p in projects]


def test_reads_and_same_origin_or_program_writes_pass(server: InProcessServer) -> None:
    host = server.url.split("://", 1)[1]
    with server.client() as c:
        assert (
            c.get("/api/v1/projects", headers={"sec-fetch-site": "cross-site"}).status_code == 200
        )
        assert c.post("/api/v1/runs", json={"project": "a"}, headers=SAME).status_code == 201
        own = {"origin": f"http://{host}"}
        assert c.post("/api/v1/runs", json={"project": "b"}, headers=own).status_code == 201
        assert c.post("/api/v1/runs", json={"project": "c"}).status_code == 201  # a program
        user = {"sec-fetch-site": "none"}  # typed into the address bar, a bookmark
        assert c.post("/api/v1/runs", json={"project": "d"}, headers=user).status_code == 201
