"""Content names of media files: the same bytes get the same name, so they are stored once."""

from __future__ import annotations

import hashlib
import re

_EXT = re.compile(r"[a-z0-9]{1,8}")


def content_name(data: bytes, ext: str) -> str:
    """``<sha256 of data>.<ext>``: the file name of media bytes within a run's ``media/``."""
    if not _EXT.fullmatch(ext):
        raise ValueError(f"a media file extension is 1-8 lower-case letters or digits, got {ext!r}")
    return f"{hashlib.sha256(data).hexdigest()}.{ext}"
