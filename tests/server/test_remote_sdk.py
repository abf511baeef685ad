"""The SDK, ``Api`` and the CLI against a server, as against a local store: the app in this
process, or a real server process where the test kills it."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from remote_helpers import sdk_session

import tracklog
from inprocess import InProcessServer
from run_files import wait_for_text
from server_process import ServerProcess
from tracklog.cli.main import cli
from tracklog.client.hosts import is_loopback
from tracklog.client.http import HttpSession
from tracklog.client.settings import ClientSettings
from tracklog.sdk.journal import JOURNAL_FILE
from tracklog.store.wire import MEDIA_TYPE


@pytest.fixture
def remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from sdk_session(tmp_path, monkeypatch)


RECORDS = {"content-type": MEDIA_TYPE}
VALUES = [1.0, math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]


def test_readme_script_through_a_server(
    server: InProcessServer, remote_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    (remote_env / "model.txt").write_text("weights")
    (remote_env / "ckpt").mkdir()
    (remote_env / "ckpt" / "a.bin").write_bytes(bytes(range(256)) * 64)
    (remote_env / "ckpt" / "sub").mkdir()
    (remote_env / "ckpt" / "sub" / "b.txt").write_text("b")
    with tracklog.init(project="readme", config={"lr": 0.1, "opt": {"b1": 0.9}}, tags=["x"]) as run:
        for i in range(2000):
            run.log({"loss": 1 / (i + 1), "acc": i / 2000})
        for v in VALUES:
            run.log({"odd": v})
        run.track(0.5, name="acc", context={"subset": "val"})
        run.config.update({"lr": 0.2}, allow_val_change=True)
        run.set_tags({"team": "nlp"})
        run.summary["best"] = 0.93
        run.log_artifact(remote_env / "model.txt")
        run.log_artifact(remote_env / "ckpt")
        assert run.summary["acc"] == 1999 / 2000  # read from the server once it has it all
    api = tracklog.Api(server.url)
    r = api.run(run.id)
    assert (r.status, r.project, r.labels, r.tags) == ("FINISHED", "readme", ["x"], {"team": "nlp"})
    assert r.config == {"lr": 0.2, "opt": {"b1": 0.9}}
    assert [(c["key"], c["old"], c["new"]) for c in r.config_history()] == [("lr", 0.1, 0.2)]
    assert r.summary["best"] == 0.93 and r.summary["loss"] == 1 / 2000
    loss = r.series("loss")
    np.testing.assert_array_equal(loss.steps, np.arange(2000))
    np.testing.assert_array_equal(loss.values, 1 / (np.arange(2000) + 1))
    odd = r.series("odd").values
    assert odd.tobytes() == np.array(VALUES).tobytes()  # bit for bit, NaN and -0.0 included
    assert r.series("acc", context={"subset": "val"}).values.tolist() == [0.5]
    assert r.files() == ["ckpt/a.bin", "ckpt/sub/b.txt", "model.txt"]
    assert r.download("model.txt", remote_env / "out").read_text() == "weights"
    folder = r.download("ckpt", remote_env / "out")
    assert (folder / "sub" / "b.txt").read_text() == "b"
    assert (folder / "a.bin").read_bytes() == bytes(range(256)) * 64
    # Api() follows $TRACKLOG_URI; search runs on the server with the filter grammar.
    found = tracklog.Api().runs("readme", filter="params.lr > 0.15 and metrics.best > 0.9")
    assert [x.id for x in found] == [run.id]
    # A resumed run continues after the server's last step.
    with tracklog.init(id=run.id, resume="allow") as again:
        assert again.step == 2000 + len(VALUES) and again.config["lr"] == 0.2
        again.log({"loss": 0.0})
    assert api.run(run.id).series("loss").steps[-1] == 2000 + len(VALUES)
    with pytest.raises(tracklog.NotFoundError, match="ghost"):
        tracklog.init(id="ghost", resume="must")
    assert not (remote_env / "tracklog" / "offline" / "ghost").exists()  # nothing left behind
    with pytest.raises(tracklog.AlreadyExistsError):
        tracklog.init(id=run.id)


def test_a_resent_ingest_request_adds_no_config_history(
    server: InProcessServer, remote_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    with tracklog.init(project="resent", config={"lr": 0.1}) as run:
        run.config.update({"lr": 0.2}, allow_val_change=True)
        run.log({"loss": 1.0})
        run.config.update({"lr": 0.3}, allow_val_change=True)
    journal = remote_env / "tracklog" / "offline" / run.id / JOURNAL_FILE
    body = journal.read_bytes()
    # The answer to the sender's request was lost (a timeout, say): it sends the same bytes.
    resent = server.client().post("/api/v1/ingest", content=body, headers=RECORDS)
    assert resent.status_code == 200 and resent.json()["consumed_bytes"] == len(body)
    r = tracklog.Api(server.url).run(run.id)
    assert r.config == {"lr": 0.3} and r.status == "FINISHED"
    changes = [(c["key"], c["old"], c["new"]) for c in r.config_history()]
    assert changes == [("lr", 0.1, 0.2), ("lr", 0.2, 0.3)]
    assert r.series("loss").values.tolist() == [1.0]


SQLITE_ONLY = pytest.mark.parametrize("store_uri", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_cli_reads_and_changes_a_server(
    server: InProcessServer, remote_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    with tracklog.init(project="cli", name="listed") as run:
        run.log({"x": 1.0})
    invoke = CliRunner().invoke
    listed = invoke(cli, ["--uri", server.url, "runs", "ls"], catch_exceptions=False)
    assert listed.exit_code == 0 and "listed" in listed.output
    trashed = invoke(cli, ["--uri", server.url, "runs", "rm", run.id[:8]], catch_exceptions=False)
    assert trashed.exit_code == 0, trashed.output
    assert tracklog.Api(server.url).run(run.id).lifecycle_stage == "deleted"


@SQLITE_ONLY  # decoding happens before the store is touched
def test_gzip_request_bodies_are_decoded_and_bounded(server: InProcessServer) -> None:
    api = server.client("/api/v1")
    gzip_json = {"content-type": "application/json", "content-encoding": "gzip"}
    body = b'{"project": "gz", "notes": "' + b"n" * 5000 + b'"}'
    created = api.post("/runs", content=zlib.compress(body, wbits=31), headers=gzip_json)
    assert created.status_code == 201 and created.json()["notes"] == "n" * 5000
    broken = api.post("/runs", content=b"\x1f\x8bnot gzip at all", headers=gzip_json)
    assert broken.status_code == 400 and "gzip" in broken.json()["message"]
    cut = api.post("/runs", content=zlib.compress(body, wbits=31)[:-10], headers=gzip_json)
    assert cut.status_code == 400
    bomb = zlib.compress(b"\0" * (65 << 20), 9, wbits=31)  # 64 KiB that decode to 65 MiB
    refused = api.post("/ingest", content=bomb, headers={**gzip_json, "content-type": "x"})
    assert refused.status_code == 413 and "limit" in refused.json()["message"]
    other = api.post("/runs", content=body, headers={**gzip_json, "content-encoding": "br"})
    assert other.status_code == 415


@SQLITE_ONLY
def test_the_client_gzips_bodies_except_to_a_loopback_server(server: InProcessServer) -> None:
    url = "http://127.0.0.1:5000"  # the app, reached through its transport
    assert is_loopback(url) and is_loopback("http://localhost:5000")
    assert not is_loopback("https://tracking.lab") and not is_loopback("http://10.0.0.7:5000")
    session = HttpSession(url, ClientSettings(), server.transport)
    assert not session.compress
    session.compress = True  # as to a server on another machine
    created = session.call("POST", "/api/v1/runs", {"project": "gz", "notes": "n" * 5000})
    assert created["notes"] == "n" * 5000
    session.close()


@SQLITE_ONLY
def test_the_token_from_the_environment_reaches_an_auth_server(
    store_uri: str,
    app_factory: Callable[..., InProcessServer],
    remote_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tracklog.store.auth import AuthStore
    from tracklog.store.tracking import Store

    store = Store(store_uri)
    AuthStore(store).create_user("alice", None)
    token = AuthStore(store).create_token("alice", "sdk").secret
    store.close()
    server = app_factory(store_uri, auth=True)
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    with pytest.raises(tracklog.TracklogError, match="authentication"):
        tracklog.init(project="secured")
    monkeypatch.setenv("TRACKLOG_TOKEN", token)
    with tracklog.init(project="secured") as run:
        run.log({"x": 1.0})
    assert tracklog.Api(server.url).run(run.id).series("x").values.tolist() == [1.0]


VICTIM = """
import os, signal, tracklog
run = tracklog.init(project="crashing")
run.log({"x": 1.0})
run._writer.flush()
assert run._backend.sender.wait_drained(30)
print(run.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@SQLITE_ONLY
def test_the_server_marks_runs_of_killed_clients_as_crashed(
    real_server: ServerProcess, remote_env: Path
) -> None:
    server = real_server
    env = {**os.environ, "TRACKLOG_URI": server.url}
    done = subprocess.run(
        [sys.executable, "-c", VICTIM], capture_output=True, env=env, cwd=remote_env, timeout=60
    )
    run_id = done.stdout.decode().strip()
    assert tracklog.Api(server.url).run(run_id).status == "RUNNING"
    server.kill()
    server.start()  # each server process sweeps at start, then every minute
    deadline = time.monotonic() + 120  # a generous bound: the sweep runs as the server starts
    while (run := tracklog.Api(server.url).run(run_id)).status == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert run.status == "FAILED" and run.error.startswith("crashed:")


@SQLITE_ONLY
def test_output_log_reaches_the_server_while_the_run_runs(
    server: InProcessServer, remote_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots of the console log go straight to the server; the journal carries the last."""
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    only_console = {"enabled": True, "console": True, "console_interval_s": 0.1}
    off = ("environment", "git", "packages", "system_metrics")
    run = tracklog.init(project="console", settings={**only_console, **dict.fromkeys(off, False)})
    api = tracklog.Api(server.url)
    try:
        print("streamed line", flush=True)
        seen = wait_for_text(api, run.id, "output.log", "streamed line", remote_env / "dl")
        assert "streamed line" in seen
        print("final line", flush=True)
    finally:
        run.finish()
    assert run._backend.sender.wait_drained(30)
    final = api.run(run.id).download("output.log", remote_env / "final").read_text()
    assert final.splitlines()[-2:] == ["streamed line", "final line"]
