"""JSON for the wire: non-finite floats become the strings "NaN", "Infinity", "-Infinity"
(strict JSON has no such numbers and browsers refuse them); series can also travel as raw
little-endian arrays."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from tracklog.store import json_input, json_output
from tracklog.store.stored_json import abridged_text
from tracklog.store.wire import SERIES_MEDIA_TYPE, encode_series


def wire_float(value: float) -> float | str:
    """A float for the wire: non-finite values as "NaN", "Infinity", "-Infinity" (as MLflow's
    JSON carries them too)."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def jsonable(value: Any, text: Callable[[str], str] | None = None) -> Any:
    """``value`` with dataclasses as dicts and non-finite floats as strings; ``text``, if
    given, maps every string and dict key (a listing abridges long ones with it)."""
    if isinstance(value, str):
        return value if text is None else text(value)
    if isinstance(value, float):
        return wire_float(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name), text) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        if text is None:
            return {k: jsonable(v) for k, v in value.items()}
        return {text(k): jsonable(v, text) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, text) for v in value]
    return value


def wire_text(value: Any, text: Callable[[str], str] | None = None) -> str:
    """The compact JSON text of an answer or an event: :func:`jsonable` (``text`` maps every
    string), encoded by :func:`json_output.wire_text`."""
    return json_output.wire_text(jsonable(value, text))


class WireRoute(APIRoute):
    """A route whose return value goes to :class:`WireJSON` untouched: FastAPI would otherwise
    pass it through a response model first, which turns NaN and infinities into null. A JSON
    request body is parsed by :func:`json_input.loads` (nesting bounded, text checked)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if isinstance(kwargs.get("response_model"), DefaultPlaceholder):
            kwargs["response_model"] = None
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:  # the route reads no JSON body (or streams its own)
            return handler

        async def handle(request: Request) -> Response:
            request = BoundedJSONRequest(request.scope, request.receive)
            # A bad body is refused here, naming the problem. An empty one is no body, as
            # FastAPI reads it: the route's dependencies (credentials) answer first.
            if _json_typed(request.headers.get("content-type")) and await request.body():
                await request.json()
            return await handler(request)

        return handle


class BoundedJSONRequest(Request):
    """A request whose JSON body is parsed by :func:`json_input.loads`: FastAPI's own parse
    would recurse without bound and let text through that no database can store."""

    async def json(self) -> Any:
        if not hasattr(self, "_bounded_json"):
            self._bounded_json = json_input.loads(await self.body(), "the request body")
        return self._bounded_json


def _json_typed(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of ``content_type`` as JSON (none at all included)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("application/") and (media.endswith("/json") or media.endswith("+json"))


def wire_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes answer with :class:`WireJSON`."""
    return APIRouter(default_response_class=WireJSON, route_class=WireRoute, **kwargs)


class WireJSON(JSONResponse):
    """A JSON response that survives NaN and infinities."""

    text: Callable[[str], str] | None = None  # maps every string and dict key

    def render(self, content: Any) -> bytes:
        return wire_text(content, self.text).encode()


class ListingJSON(WireJSON):
    """A listing's :class:`WireJSON`: every string longer than ``MAX_LISTED_TEXT`` is cut,
    with a marker (a run's own endpoint has the whole value)."""

    text = staticmethod(abridged_text)


def series_response(
    key: str, steps: np.ndarray, values: np.ndarray, timestamps: np.ndarray, binary: bool
) -> Response:
    """A series as JSON columns, or as raw arrays (int64 steps, float64 values, int64 ms)."""
    if binary:
        body = encode_series(steps, values, timestamps)
        return Response(body, media_type=SERIES_MEDIA_TYPE, headers={"X-Points": str(len(steps))})
    return WireJSON(series_columns(key, steps, values, timestamps))


def series_columns(
    key: str, steps: np.ndarray, values: np.ndarray, timestamps: np.ndarray
) -> dict[str, Any]:
    """A series as JSON-ready columns (non-finite values as strings, as :func:`jsonable`)."""
    finite = np.isfinite(values)
    vals: list[Any] = values.tolist()
    if not finite.all():
        for i in np.flatnonzero(~finite).tolist():
            vals[i] = jsonable(vals[i])
    return {"key": key, "steps": steps.tolist(), "values": vals, "timestamps": timestamps.tolist()}
