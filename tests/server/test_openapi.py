"""The app's OpenAPI description (``/api/v1/openapi.json``, the only one it serves): built
without a warning, each operation with an id of its own (generated clients name their
methods by it)."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from inprocess import InProcessServer
from tracklog.server.app import create_app
from tracklog.server.settings import Settings


@pytest.mark.parametrize("auth", [False, True], ids=["open", "auth"])
def test_the_openapi_description_is_built_without_warnings(tmp_path: Path, auth: bool) -> None:
    app = create_app(Settings(backend_store_uri=f"sqlite:///{tmp_path}/s.db", auth=auth))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns "Duplicate Operation ID ..."
        schema = app.openapi()
    ids = Counter(
        operation["operationId"]
        for operations in schema["paths"].values()
        for operation in operations.values()
    )
    assert [op_id for op_id, n in ids.items() if n > 1] == []
    latest = schema["paths"]["/api/2.0/mlflow/registered-models/get-latest-versions"]
    assert set(latest) == {"get", "post"}


def test_the_served_description_lists_both_methods_of_a_two_method_route(
    tmp_path: Path, app_factory: Callable[..., InProcessServer]
) -> None:
    server = app_factory(f"sqlite:///{tmp_path}/s.db")
    schema = server.client().get("/api/v1/openapi.json").json()
    latest = schema["paths"]["/ajax-api/2.0/mlflow/registered-models/get-latest-versions"]
    assert latest["get"]["operationId"] != latest["post"]["operationId"]
