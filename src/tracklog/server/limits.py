"""Request size limits, enforced before and while a body is read: 413 with a message naming
the limit. Artifact uploads, streamed to storage, have their own (larger) limit."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.server.errors import error_for

# PUTs whose body is an artifact file (or a part of one), streamed to storage: native run
# files, MLflow's proxied artifacts and the parts of its multipart uploads.
UPLOADS = re.compile(
    r"^(/api/v1/runs/[^/]+/artifacts/|/(ajax-)?api/2\.0/mlflow-artifacts/(artifacts|mpu/parts)/)"
)


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` (by Content-Length, or while streaming);
    artifact uploads (:data:`UPLOADS`) may be up to ``max_upload_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "PUT" and UPLOADS.match(scope["path"]) is not None
        limit = self.max_upload_bytes if upload else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, upload)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send, upload)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, upload: bool) -> None:
        if upload:
            limit, option = self.max_upload_bytes, "--max-artifact-bytes"
        else:
            limit, option = self.max_bytes, "--max-body-bytes"
        response = error_for(
            scope["path"],
            413,
            "REQUEST_TOO_LARGE",
            f"request body exceeds the server's limit of {limit} bytes (tracklog server {option})",
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    """The streamed body passed the limit."""
