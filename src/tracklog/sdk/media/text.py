"""Text and HTML values. A plain ``str`` given to ``log()`` is :class:`Text`."""

from __future__ import annotations

import os
from pathlib import Path

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.base import Media
from tracklog.store import validation
from tracklog.store.records import HistogramItem, MediaItem


def _utf8(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} takes a str, got {type(value).__name__}")
    data = value.encode("utf-8", "surrogatepass")
    if len(data) > validation.MAX_MEDIA_BYTES:
        raise InvalidValueError(
            f"{what} of {len(data):,} bytes is over the limit of "
            f"{validation.MAX_MEDIA_BYTES:,} bytes per media file"
        )
    return data


class Text(Media):
    """A piece of text (a sample prediction, a generated paragraph), shown as it is."""

    def __init__(self, text: str) -> None:
        self._data = _utf8(text, "Text")

    @property
    def text(self) -> str:
        return self._data.decode("utf-8", "surrogatepass")

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        return [MediaItem(key, context, step, time_ms, "text", self._data, "txt")]


class Html(Media):
    """An HTML page, shown in a sandboxed frame that cannot run script in the UI's origin.

    ``html`` is the markup, or the path of an ``.html`` file.
    """

    def __init__(self, html: str | os.PathLike[str]) -> None:
        if isinstance(html, os.PathLike):
            path = Path(html)
            if not path.is_file():
                raise InvalidValueError(f"Html: {path} is not a file")
            html = path.read_text("utf-8")
        self._data = _utf8(html, "Html")

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        return [MediaItem(key, context, step, time_ms, "html", self._data, "html")]
