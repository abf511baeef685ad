"""A server that answers routes with recorded bytes at once: W7's client floors.

``python replay_server.py --port P --route /api/2.0/mlflow/runs/search FILE [--route ...]``
answers every POST or GET of a route's path (the query string aside) with its FILE's bytes as
``application/json`` (the request body is read and ignored), ``GET /health`` with 200, and
anything else with MLflow's 404. The whole
response is prepared once and written with one ``sendall`` (no Nagle delay between headers and
body), so the time a client spends on it is the client's own: sending the request, reading and
decoding the answer. Standard library only (it runs in every peer venv).
"""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar


def response(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


class Replay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the mlflow client's session expects
    disable_nagle_algorithm = True
    answers: ClassVar[dict[str, bytes]] = {}  # path -> the whole prepared response
    health = response("200 OK", b"{}")
    missing = response("404 Not Found", b'{"error_code": "ENDPOINT_NOT_FOUND", "message": ""}')

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        if path in self.answers:
            self.wfile.write(self.answers[path])
        elif path == "/health":
            self.wfile.write(self.health)
        else:
            self.wfile.write(self.missing)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # no line per request on stderr


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--route", nargs=2, action="append", metavar=("PATH", "FILE"), required=True)
    args = p.parse_args()
    Replay.answers = {
        path: response("200 OK", Path(file).read_bytes()) for path, file in args.route
    }
    ThreadingHTTPServer(("127.0.0.1", args.port), Replay).serve_forever()


if __name__ == "__main__":
    main()
