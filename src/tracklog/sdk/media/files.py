"""Media files a user names by path: the extension checked, the size bounded, the bytes read
once (so a file changed or removed after ``log()`` does not change what is stored)."""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from pathlib import Path

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.store import validation


def is_path(data: object) -> bool:
    """Whether a media value names a file rather than holding the data."""
    return isinstance(data, str | os.PathLike)


def read_media_file(
    path: str | os.PathLike[str], what: str, extensions: Collection[str]
) -> tuple[bytes, str]:
    """The bytes of the file at ``path`` and its extension (lower case, without the dot).

    Refused, naming the reason: an extension not in ``extensions``, no such file, not a regular
    file, more than ``MAX_MEDIA_BYTES``.
    """
    if isinstance(path, bytes) or not is_path(path):
        raise InvalidTypeError(f"{what}: a file path must be a str or os.PathLike, got {path!r}")
    file = Path(path)
    ext = file.suffix[1:].lower()
    if ext not in extensions:
        raise InvalidValueError(
            f"{what}: {str(file)!r} is not a {'/'.join(sorted(extensions))} file "
            f"(its extension is {('.' + ext) if ext else 'missing'})"
        )
    try:
        info = file.stat()
    except FileNotFoundError:
        raise InvalidValueError(f"{what}: there is no file {str(file)!r}") from None
    except OSError as exc:
        raise InvalidValueError(f"{what}: cannot read {str(file)!r}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidValueError(f"{what}: {str(file)!r} is not a regular file")
    limit = validation.MAX_MEDIA_BYTES
    if info.st_size > limit:
        raise InvalidValueError(_too_big(what, info.st_size))
    with file.open("rb") as f:
        data = f.read(limit + 1)  # the file may have grown since stat()
    if len(data) > limit:
        raise InvalidValueError(_too_big(what, len(data)))
    return data, ext


def check_media_size(size: int, what: str) -> None:
    """Refuse a media file of ``size`` bytes (or at most that many, once encoded) over the
    per-file limit, before anything is encoded or written."""
    if size > validation.MAX_MEDIA_BYTES:
        raise InvalidValueError(_too_big(what, size))


def _too_big(what: str, size: int) -> str:
    return (
        f"{what} of {size:,} bytes is over the limit of "
        f"{validation.MAX_MEDIA_BYTES:,} bytes per media file"
    )
