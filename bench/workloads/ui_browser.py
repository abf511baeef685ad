"""Headless Debian chromium for the W8 web-UI workloads: a browser, a fresh profile per visit,
and the time from navigation until a page is drawn. Playwright only (no tracklog import), so
the MLflow workload runs it too, as a script, from the dev venv:

``python ui_browser.py SPEC_JSON`` with ``{"url", "repeats", "pages": {name: {"path", "done",
"stats"?}}}`` prints ``{name: {"cold": [s...], "warm": [s...], "stats": ...}}`` as JSON.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "ui"))
from ui_support import CHROMIUM_ARGS  # the browser tests' flags, so both run chromium alike

TIMEOUT_MS = 180_000


def browser_session(play: Any) -> Any:
    exe = shutil.which("chromium")
    if exe is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    return play.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)


def new_page(browser: Any, url: str, api: str = "/api/v1/") -> tuple[Any, Any, list[int]]:
    """A page in a fresh browser context (empty cache) of 1280x900, and the list its
    responses' body sizes from URLs containing ``api`` are appended to."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    body_bytes: list[int] = []

    def count(request: Any) -> None:
        if api in request.url:
            body_bytes.append(request.sizes()["responseBodySize"])

    page.on("requestfinished", count)
    return context, page, body_bytes


@contextlib.contextmanager
def html_page(body: str) -> Iterator[str]:
    """The URL of a page with ``body`` as HTML, served from this process on another loopback
    port (the server under test has no such page); its scripts come from wherever ``body``
    names."""
    data = body.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # no line per request on stderr

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def visit(page: Any, path: str, done: str) -> float:
    """Seconds from navigating to ``path`` until the JavaScript condition ``done`` holds."""
    t = time.perf_counter()
    page.goto(path)
    page.wait_for_function(done, polling=20, timeout=TIMEOUT_MS)
    return time.perf_counter() - t


def cold_and_warm(
    browser: Any,
    url: str,
    path: str,
    done: str,
    repeats: int,
    stats: str = "null",
    api: str = "/api/v1/",
) -> tuple[list[float], list[float], Any]:
    """Times of a first visit (fresh browser profile: nothing cached) and of a second visit
    (scripts from the browser's cache), ``repeats`` each; and the last first visit's ``stats``
    (a JavaScript expression, read after the second visit), API bytes and API requests."""
    cold, warm = [], []
    for _ in range(repeats):
        context, page, body_bytes = new_page(browser, url, api)
        cold.append(visit(page, path, done))
        first_bytes, first_requests = sum(body_bytes), len(body_bytes)
        page.goto("about:blank")
        warm.append(visit(page, path, done))
        drawn = page.evaluate(stats), first_bytes, first_requests
        context.close()
    return cold, warm, drawn


def main() -> None:
    from playwright.sync_api import sync_playwright

    spec = json.loads(sys.argv[1])
    out = {}
    with sync_playwright() as play:
        browser = browser_session(play)
        try:
            for name, page in spec["pages"].items():
                cold, warm, (stats, payload, requests) = cold_and_warm(
                    browser,
                    spec["url"],
                    page["path"],
                    page["done"],
                    spec["repeats"],
                    page.get("stats", "null"),
                    spec.get("api", "/api/v1/"),
                )
                out[name] = {
                    "cold": cold,
                    "warm": warm,
                    "stats": stats,
                    "payload": payload,
                    "requests": requests,
                }
        finally:
            browser.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
