"""One retry rule (``tracklog.errors.retryable``) for every writer: the journal sender retries
exactly what a server marks retryable (503 STORE_UNAVAILABLE, a gateway or timeout status, an
unreachable server) and sets aside a record that a retry cannot cure, a 500 included.

The server here is a real HTTP server on loopback answering a fixed status, so each status the
client can meet is met; the tracklog server's own 503s are in tests/server/test_no_5xx.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from server_process import free_port
from tracklog.client.http import HttpSession
from tracklog.client.remote import RemoteStore
from tracklog.client.sender import JournalFiles, JournalSender, read_offset, retry_later
from tracklog.client.settings import ClientSettings
from tracklog.errors import (
    AlreadyExistsError,
    StoreError,
    StoreUnavailableError,
    retryable,
)
from tracklog.sdk.journal import JOURNAL_FILE, JournalWriter


class Answer:
    """What the server answers every request with (a test changes it)."""

    status = 503
    body: ClassVar[dict[str, str]] = {"error": "STORE_UNAVAILABLE", "message": "database is locked"}


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            data = json.dumps(Answer.body).encode()
            self.send_response(Answer.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the loop's next look at its flag: every 0.5 s by default.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("status", "code", "kind", "retried"),
    [
        (503, "STORE_UNAVAILABLE", StoreUnavailableError, True),
        (502, None, StoreUnavailableError, True),
        (504, None, StoreUnavailableError, True),
        (429, "TOO_MANY_REQUESTS", StoreUnavailableError, True),
        (500, "INTERNAL_ERROR", StoreError, False),
        (409, "ALREADY_EXISTS", AlreadyExistsError, False),
    ],
)
def test_an_answer_is_retried_exactly_when_the_server_marks_it_retryable(
    server: str, status: int, code: str | None, kind: type[Exception], retried: bool
) -> None:
    Answer.status, Answer.body = status, {"error": code or "", "message": "why"}
    session = HttpSession(server, ClientSettings())
    with pytest.raises(kind) as caught:
        session.call("GET", "/api/v1/projects")
    session.close()
    assert type(caught.value) is kind
    assert retryable(caught.value) is retried and retry_later(caught.value) is retried


def test_an_unreachable_server_is_retried() -> None:
    session = HttpSession(f"http://127.0.0.1:{free_port()}", ClientSettings())
    with pytest.raises(StoreUnavailableError) as caught:
        session.call("GET", "/api/v1/projects")
    assert retryable(caught.value) and retry_later(caught.value)


def test_the_sender_waits_on_a_503_and_sets_a_500_aside(server: str, tmp_path: Path) -> None:
    journal = JournalWriter(tmp_path)
    journal.append("set_tags", {"run_id": "r1", "tags": {"a": "b"}})
    journal.close()
    files = JournalFiles(tmp_path, tmp_path / JOURNAL_FILE, tmp_path / "sent")
    remote = RemoteStore(server, settings=ClientSettings())
    sender = JournalSender(remote, files, set_aside=True)

    Answer.status, Answer.body = 503, {"error": "STORE_UNAVAILABLE", "message": "locked"}
    with pytest.raises(StoreUnavailableError):
        sender.send_available()
    assert read_offset(files.marker) == 0 and not files.rejected.exists()  # kept to resend

    Answer.status, Answer.body = 500, {"error": "INTERNAL_ERROR", "message": "a bug"}
    with pytest.warns(UserWarning, match="a bug"):
        sender.send_available()  # not retried forever: set aside, and sending goes on
    assert sender.refused == 1 and files.rejected.stat().st_size > 0
    assert read_offset(files.marker) == files.journal.stat().st_size
    remote.close()
