"""What every MLflow route uses: the route class that answers errors MLflow's way, the
``endpoint`` decorator, the argument reader and page tokens."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from tracklog.server.auth import Guard
from tracklog.server.mlflow_api.errors import (
    MlflowError,
    error_response,
    invalid,
    to_mlflow_error,
)
from tracklog.store import json_input
from tracklog.store.paging import Page, PageSpec
from tracklog.store.tracking import Store

Handler = Callable[[Store, "Args"], dict[str, Any]]


class EmptyAnswer(Exception):
    """Raised before a search runs when there is nothing it may show (every experiment it
    names is unreadable): the answer is MLflow's empty page, ``{}``."""


class MlflowRoute(APIRoute):
    """An APIRoute that answers every known error in MLflow's ``{"error_code", "message"}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except EmptyAnswer:
                return Response("{}", media_type="application/json")
            except Exception as exc:
                error = to_mlflow_error(exc)
                if error is None:
                    raise
                return error_response(error)

        return handle


def mlflow_router() -> APIRouter:
    """A router whose routes answer errors the MLflow way."""
    return APIRouter(route_class=MlflowRoute)


def not_found_router() -> APIRouter:
    """A router answering every path and method with MLflow's ENDPOINT_NOT_FOUND (404)."""
    router = mlflow_router()

    async def not_found(path: str, request: Request) -> Response:
        raise MlflowError(
            "ENDPOINT_NOT_FOUND",
            f"{request.method} {request.url.path} is not an endpoint of this tracklog server "
            "(see docs/mlflow.md for what it implements)",
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    router.add_api_route("/{path:path}", not_found, methods=methods, include_in_schema=False)
    return router


def endpoint(router: APIRouter, path: str, *methods: str) -> Callable[[Handler], Handler]:
    """Register ``handler(store, args) -> dict`` at ``path``: the request's arguments are read
    with :meth:`Args.read`, the handler runs in a worker thread, and its dict is the JSON
    answer, encoded by orjson (``orjson.Fragment`` embeds JSON text as it is). Handlers write
    non-finite floats as MLflow's strings (``encoding.wire_float``): orjson would write null."""

    def register(handler: Handler) -> Handler:
        async def handle(request: Request) -> Response:
            args = await Args.read(request)
            store = request.app.state.store

            def answer() -> bytes:  # encoding a page of runs is work too: off the event loop
                return orjson.dumps(handler(store, args))

            return Response(await run_in_threadpool(answer), media_type="application/json")

        handle.__doc__ = handler.__doc__
        # A route per method: FastAPI derives one operation id per route (from its first
        # method), so one route of two methods would describe both with the same id.
        for method in methods:
            router.add_api_route(path, handle, methods=[method], name=handler.__name__)
        return handler

    return register


class Args:
    """A request's arguments: MLflow sends them in the query string for GET and as a JSON
    body for POST, PATCH and DELETE. Accessors validate and name the argument on failure.
    ``guard`` holds the authenticated user (none without ``--auth``)."""

    def __init__(self, values: dict[str, Any], guard: Guard | None = None) -> None:
        self.values = values
        self.guard = guard

    @property
    def user(self) -> str | None:
        """The authenticated user's name (None without ``--auth``)."""
        return self.guard.user.name if self.guard and self.guard.user else None

    @classmethod
    async def read(cls, request: Request) -> Args:
        """The request's arguments, read once: the permission check and the handler share
        them (a search's check narrows them)."""
        if (cached := getattr(request.state, "mlflow_args", None)) is not None:
            return cached
        values: dict[str, Any] = {}
        for key in request.query_params:
            many = request.query_params.getlist(key)
            values[key] = many if len(many) > 1 else many[0]
        body = await request.body()
        if body.strip():
            parsed = json_input.loads(body, "the request body")
            if not isinstance(parsed, dict):
                raise invalid("the request body must be a JSON object")
            values.update(parsed)
        request.state.mlflow_args = cls(values, getattr(request.state, "guard", None))
        return request.state.mlflow_args

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise invalid(f"Missing value for required parameter '{name}'.")
            return default
        if isinstance(value, list):
            raise invalid(f"parameter '{name}' must be given once")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise invalid(f"parameter '{name}' must be a string, got {type(value).__name__}")
        return str(value)

    # From here on, annotations say builtins.str, .int, .list and .bool: in the class body
    # those names are the accessors defined here.
    def required(self, name: builtins.str) -> builtins.str:
        value = self.str(name, required=True)
        assert value is not None
        return value

    def int(
        self,
        name: builtins.str,
        default: builtins.int | None = None,
        *,
        required: builtins.bool = False,
    ) -> builtins.int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise invalid(f"Missing value for required parameter '{name}'.")
            return default
        # float() also reads other scripts' digits ('١٠') and '_' separators.
        if isinstance(value, bool | list | dict) or (
            isinstance(value, str) and (not value.isascii() or "_" in value)
        ):
            raise invalid(f"parameter '{name}' must be an integer, got {value!r}")
        try:
            number = float(value) if not isinstance(value, int) else value
        except (TypeError, ValueError):
            raise invalid(f"parameter '{name}' must be an integer, got {value!r}") from None
        if isinstance(number, float) and (not math.isfinite(number) or not number.is_integer()):
            raise invalid(f"parameter '{name}' must be an integer, got {value!r}")
        return int(number)

    def list(self, name: builtins.str) -> builtins.list[Any]:
        value = self.values.get(name)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def objects(self, name: builtins.str) -> builtins.list[dict[builtins.str, Any]]:
        """A list of JSON objects (``metrics``, ``tags``...), each checked to be one."""
        items = self.list(name)
        for item in items:
            if not isinstance(item, dict):
                raise invalid(f"each item of '{name}' must be an object, got {item!r}")
        return items

    def number(self, name: builtins.str, *, required: builtins.bool = False) -> float | None:
        """A double: a JSON number, or MLflow's strings "NaN", "Infinity", "-Infinity"."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise invalid(f"Missing value for required parameter '{name}'.")
            return None
        return to_float(value, name)

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(f"parameter '{name}' must be true or false, got {value!r}")

    def page(self, default_size: builtins.int, max_size: builtins.int) -> PageSpec:
        """The page ``page_token`` and ``max_results`` ask for, both checked."""
        return PageSpec.from_token(
            self.str("page_token"), self.int("max_results", default_size), max_size
        )

    def run_id(self) -> builtins.str:
        """MLflow clients send ``run_id``, older ones ``run_uuid``; either is accepted."""
        value = self.str("run_id") or self.str("run_uuid")
        if value is None:
            raise invalid("Missing value for required parameter 'run_id'.")
        return value


def to_float(value: Any, name: str) -> float:
    """``value`` as a double (MLflow sends non-finite values as strings); names it on failure."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid(f"parameter '{name}' must be a number, got {value!r}")
    try:
        return float(value)
    except (ValueError, OverflowError):
        raise invalid(f"parameter '{name}' must be a number, got {value!r}") from None


def listing(name: str, items: list[Any], page: Page[Any]) -> dict[str, Any]:
    """MLflow's answer of one page: ``items`` (``page``'s, as JSON) under ``name``, and the
    ``next_page_token`` while more follow."""
    answer: dict[str, Any] = {name: items}
    if page.next_token:
        answer["next_page_token"] = page.next_token
    return answer
