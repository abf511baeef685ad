"""``TrackingStore``: ``Store`` and ``RemoteStore`` both have every method it declares, with the
same signature, so code typed against the interface cannot tell them apart."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tracklog.client.remote import RemoteStore
from tracklog.store.interface import TrackingStore
from tracklog.store.tracking import Store

_PROTOCOL_ONLY = set(dir(type("_Plain", (), {})))  # what every class has


def _interface_methods() -> list[str]:
    return sorted(
        name
        for name, value in vars(TrackingStore).items()
        if inspect.isfunction(value) and name not in _PROTOCOL_ONLY
    )


def _shape(method: object) -> list[tuple[str, object, object, object]]:
    """Each parameter's name, kind, default and annotation text (return type left to mypy:
    an implementation may return a narrower type)."""
    sig = inspect.signature(method)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default, p.annotation) for p in sig.parameters.values()]


def test_the_interface_holds_what_the_sdk_api_and_cli_call() -> None:
    methods = _interface_methods()
    for needed in ("create_run", "set_config", "projects", "search_runs", "download_file"):
        assert needed in methods
    # Local-only methods stay off it (their callers take a Store).
    for local_only in ("purge_deleted_runs", "append_batches", "search_run_ids", "ensure_project"):
        assert local_only not in methods


@pytest.mark.parametrize("impl", [Store, RemoteStore], ids=["Store", "RemoteStore"])
@pytest.mark.parametrize("name", _interface_methods())
def test_signatures_match_the_interface(impl: type, name: str) -> None:
    assert hasattr(impl, name), f"{impl.__name__} has no {name}()"
    assert _shape(getattr(impl, name)) == _shape(getattr(TrackingStore, name)), (
        f"{impl.__name__}.{name}{inspect.signature(getattr(impl, name))} differs from "
        f"TrackingStore.{name}{inspect.signature(getattr(TrackingStore, name))}"
    )


def test_both_stores_are_tracking_stores(tmp_path: Path) -> None:
    local = Store(f"sqlite:///{tmp_path}/t.db")
    remote = RemoteStore("http://127.0.0.1:9")  # no connection is made until a call
    try:
        assert isinstance(local, TrackingStore)
        assert isinstance(remote, TrackingStore)
        assert not isinstance(object(), TrackingStore)
    finally:
        local.close()
        remote.close()
