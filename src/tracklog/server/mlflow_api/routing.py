"""The route class and argument reader every MLflow route uses."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from tracklog.server.mlflow_api.errors import error_response, invalid, to_mlflow_error


class MlflowRoute(APIRoute):
    """An APIRoute that answers every known error in MLflow's ``{"error_code", "message"}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                error = to_mlflow_error(exc)
                if error is None:
                    raise
                return error_response(error)

        return handle


def mlflow_router() -> APIRouter:
    """A router whose routes answer errors the MLflow way."""
    return APIRouter(route_class=MlflowRoute)


class Args:
    """A request's arguments: MLflow sends them in the query string for GET and as a JSON
    body for POST, PATCH and DELETE. Accessors validate and name the argument on failure."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @classmethod
    async def read(cls, request: Request) -> Args:
        values: dict[str, Any] = {}
        for key in request.query_params:
            many = request.query_params.getlist(key)
            values[key] = many if len(many) > 1 else many[0]
        body = await request.body()
        if body.strip():
            try:
                parsed = json.loads(body)
            except ValueError as exc:
                raise invalid(f"the request body is not valid JSON: {exc}") from exc
            if not isinstance(parsed, dict):
                raise invalid("the request body must be a JSON object")
            values.update(parsed)
        return cls(values)

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

    def required(self, name: str) -> str:
        value = self.str(name, required=True)
        assert value is not None
        return value

    def int(self, name: str, default: int | None = None, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise invalid(f"Missing value for required parameter '{name}'.")
            return default
        if isinstance(value, bool | list | dict):
            raise invalid(f"parameter '{name}' must be an integer, got {value!r}")
        try:
            number = float(value) if not isinstance(value, int) else value
        except (TypeError, ValueError):
            raise invalid(f"parameter '{name}' must be an integer, got {value!r}") from None
        if isinstance(number, float) and (not math.isfinite(number) or not number.is_integer()):
            raise invalid(f"parameter '{name}' must be an integer, got {value!r}")
        return int(number)

    def list(self, name: str) -> list[Any]:
        value = self.values.get(name)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def run_id(self) -> str:
        """MLflow clients send ``run_id``, older ones ``run_uuid``; either is accepted."""
        value = self.str("run_id") or self.str("run_uuid")
        if value is None:
            raise invalid("Missing value for required parameter 'run_id'.")
        return value
