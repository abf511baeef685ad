"""``alert(title, text, level, wait_duration)``: recorded on the run (Api, through a server,
offline with sync), throttled per title, and POSTed to a server's webhook."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import tracklog
from inprocess import in_process_server
from tracklog.errors import (
    InvalidTypeError,
    InvalidValueError,
    NotFoundError,
    RunDeletedError,
    RunFinishedError,
)
from tracklog.store.tracking import Store


def test_alerts_are_recorded_and_throttled_per_title(local_store: str) -> None:
    with tracklog.init(project="p") as run:
        run.alert("loss is NaN", "at step 3", level="WARN")
        run.alert("loss is NaN", "at step 4", level="WARN")  # within a minute: dropped
        tracklog.alert("done", "epoch 1", level=tracklog.AlertLevel.INFO, wait_duration=0)
        tracklog.alert("done", "epoch 2", wait_duration=timedelta(0))
        run.alert("crash", "OOM", "ERROR")
    with pytest.raises(RunFinishedError, match="alert"):
        run.alert("late", "after finish")
    alerts = tracklog.Api().run(run.id).alerts()
    assert [(a.title, a.text, a.level) for a in alerts] == [
        ("loss is NaN", "at step 3", "WARN"),
        ("done", "epoch 1", "INFO"),
        ("done", "epoch 2", "INFO"),
        ("crash", "OOM", "ERROR"),
    ]
    assert all(a.run_id == run.id and a.time_ms > 0 for a in alerts)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"level": "LOUD"}, InvalidValueError, "alert level"),
        ({"title": "t" * 65}, InvalidValueError, "alert title.*64"),
        ({"title": " "}, InvalidValueError, "alert title"),
        ({"text": 5}, InvalidTypeError, "alert text"),
        ({"wait_duration": -1}, InvalidValueError, "wait_duration"),
        ({"wait_duration": "soon"}, InvalidTypeError, "wait_duration"),
    ],
)
def test_bad_alerts_raise_naming_what_is_wrong(
    local_store: str, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    args: dict[str, Any] = {"title": "t", "text": "x", **kwargs}
    with tracklog.init(project="p") as run:
        run.alert("kept", "first")
        with pytest.raises(error, match=match):
            run.alert(**args)
    assert [a.title for a in tracklog.Api().run(run.id).alerts()] == ["kept"]


def test_offline_alerts_arrive_with_sync(local_store: str) -> None:
    from tracklog.sdk.sync import sync_folder
    from tracklog.store.tracking import Store

    with tracklog.init(project="p", mode="offline") as run:
        run.alert("offline", "journaled", level="ERROR")
    store = Store(local_store)
    sync_folder(store, Path(local_store) / "offline" / run.id)
    assert [(a.title, a.level) for a in store.alerts(run.id)] == [("offline", "ERROR")]


class _Listener:
    """A real HTTP server on loopback that keeps the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: queue.Queue[dict[str, Any]] = queue.Queue()
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                bodies.put(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}/hook"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def next(self) -> dict[str, Any]:
        return self.bodies.get(timeout=60)  # a bound for a loaded machine, not a timing


@pytest.fixture
def listener() -> Iterator[_Listener]:
    hook = _Listener()
    yield hook
    hook.http.shutdown()
    hook.http.server_close()


def test_server_posts_each_new_alert_to_its_webhook(
    listener: _Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.sdk import current, stores

    monkeypatch.delenv("TRACKLOG_TOKEN", raising=False)
    monkeypatch.setattr(stores, "_tracking_uri", None)
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path}/server.db"
    with in_process_server(db, tmp_path / "artifacts", alert_webhook=listener.url) as server:
        monkeypatch.setenv("TRACKLOG_URI", server.url)
        try:
            with tracklog.init(project="hooked", name="bert") as run:
                run.alert("loss is NaN", "at step 3", level="ERROR")  # journaled, ingested
            body = listener.next()
            # Recorded directly through the route as well; a repeat of an id is not resent.
            client = server.client()
            new = {"alert_id": "route-1", "title": "direct", "text": "t"}
            assert client.post(f"/api/v1/runs/{run.id}/alerts", json=new).json()["created"]
            assert not client.post(f"/api/v1/runs/{run.id}/alerts", json=new).json()["created"]
            direct = listener.next()
            alerts = tracklog.Api().run(run.id).alerts()
        finally:
            for open_run in list(current.runs):
                open_run.finish()
            for remote in stores.servers.values():
                remote.close()
            stores.servers.clear()
    assert body["alert"]["title"] == "loss is NaN" and body["alert"]["level"] == "ERROR"
    assert body["alert"]["run_id"] == run.id and body["alert"]["project"] == "hooked"
    assert body["text"] == "[ERROR] loss is NaN: at step 3 (run 'bert' in 'hooked')"
    assert direct["alert"]["title"] == "direct"
    assert listener.bodies.empty()
    assert [a.title for a in alerts] == ["loss is NaN", "direct"]


def test_a_bad_webhook_url_is_refused_by_the_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tracklog.cli.main import cli

    result = CliRunner().invoke(
        cli, ["server", "--alert-webhook", "ftp://example.com/x", "--port", "0"]
    )
    assert result.exit_code == 2
    assert "--alert-webhook" in result.output and "http(s) URL" in result.output


def test_the_store_records_an_alert_id_once_per_run(store: Store) -> None:
    a = store.create_run("p").id
    b = store.create_run("p").id
    assert store.add_alert(a, "id1", "first", "x", "WARN", 5) is True
    assert store.add_alert(a, "id1", "first again", "y") is False  # a replay: unchanged
    assert store.add_alert(b, "id1", "other run", "z") is True  # ids are per run
    assert store.add_alert(a, "id2", "second", "") is True
    assert [(x.id, x.title, x.level, x.time_ms) for x in store.alerts(a)][:1] == [
        ("id1", "first", "WARN", 5)
    ]
    assert [x.title for x in store.alerts(a)] == ["first", "second"]
    with pytest.raises(NotFoundError):
        store.alerts("missing")
    store.delete_run(a)
    with pytest.raises(RunDeletedError):
        store.add_alert(a, "id3", "in the trash", "")
    assert len(store.alerts(a)) == 2
