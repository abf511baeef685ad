"""Faults between the SDK and a server: one that is down, killed or doubled (a real server
process), a process that ends first, and refusals (the app in this process). Nothing logged is
lost or applied twice."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from remote_helpers import (
    assert_logged_once,
    sdk_session,
    start_client,
    wait_clients,
    wait_for_text,
    wait_points,
)

import tracklog
from inprocess import InProcessServer
from server_process import ServerProcess, free_port
from tracklog.cli.main import cli
from tracklog.client.remote import RemoteStore
from tracklog.client.sender import read_offset
from tracklog.sdk.journal import JOURNAL_FILE, read_records


@pytest.fixture
def remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from sdk_session(tmp_path, monkeypatch)


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server on a SQLite store that is not started yet (the test starts it); its URL is
    known before, so its port is chosen before."""
    server = ServerProcess(f"sqlite:///{tmp_path}/server.db", tmp_path / "artifacts", free_port())
    yield server
    server.stop()


def _journal(root: Path, run_id: str) -> Path:
    return root / "tracklog" / "offline" / run_id


def test_client_started_before_the_server_loses_nothing(
    idle_server: ServerProcess, remote_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_URI", idle_server.url)
    with pytest.warns(UserWarning, match="does not answer"):
        run = tracklog.init(project="early", config={"lr": 0.1})
    with pytest.warns(UserWarning, match="does not answer"):
        ghost = tracklog.init(project="early", id="ghost", resume="must")  # checked later
    for i in range(3000):
        run.log({"x": float(i)})
        ghost.log({"x": float(i)})
    assert run.summary["x"] == 2999.0  # the server is away: this process's last value
    idle_server.start()
    run.finish()
    ghost.finish()
    stored = tracklog.Api(idle_server.url).run(run.id)
    assert stored.status == "FINISHED" and stored.config == {"lr": 0.1}
    assert stored.series("x").values.tolist() == [float(i) for i in range(3000)]
    # resume="must" of a run the server lacks: refused when it arrived, and set aside.
    assert not RemoteStore(idle_server.url).has_run("ghost")
    folder = _journal(remote_env, "ghost")
    assert read_offset(folder / "synced-offset") == (folder / JOURNAL_FILE).stat().st_size
    kept = list(read_records(folder / "rejected" / JOURNAL_FILE))
    assert kept[0].op == "create_run" and kept[0].args["resume"] == "must"
    assert sum(len(p.steps) for r in kept if r.op == "append_metrics" for p in r.args["batch"])


def test_sigkill_and_restart_while_four_clients_log(
    real_server: ServerProcess, tmp_path: Path
) -> None:
    server = real_server
    steps = 20_000
    ids = [f"client{i}" for i in range(4)]
    hold = tmp_path / "go-on"
    clients = [start_client(run_id, steps, server.url, tmp_path, hold) for run_id in ids]
    wait_points(server.url, ids)
    server.kill()
    assert all(c.proc.poll() is None for c in clients), "a client ended before the kill"
    hold.touch()  # the clients log their second half to a server that is away
    wait_for_text(clients, "cannot reach")
    server.start()
    errors = wait_clients(clients)
    assert any("cannot reach" in err for err in errors), "no client noticed the kill"
    for run_id, err in zip(ids, errors, strict=True):
        assert "have not reached" not in err and "server refused" not in err, err
        assert_logged_once(server.url, run_id, steps)


@pytest.mark.parametrize("store_uri", ["postgresql"], indirect=True)
def test_two_servers_on_one_postgresql(
    store_uri: str, server_factory: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    servers = [server_factory(store_uri), server_factory(store_uri)]
    steps = 10_000
    ids = [f"split{i}" for i in range(4)]
    clients = [
        start_client(run_id, steps, servers[i % 2].url, tmp_path) for i, run_id in enumerate(ids)
    ]
    for err in wait_clients(clients):
        assert "failed" not in err and "server refused" not in err, err
    for i, run_id in enumerate(ids):
        assert_logged_once(servers[(i + 1) % 2].url, run_id, steps)  # read through the other


def test_process_ends_before_the_server_is_back_then_sync_sends_once(
    idle_server: ServerProcess, tmp_path: Path
) -> None:
    client = start_client("later", 3000, idle_server.url, tmp_path, TRACKLOG_FINISH_TIMEOUT="0.5")
    (err,) = wait_clients([client])
    command = re.search(r"`tracklog (sync \S+ --uri \S+)`", err)
    assert command is not None, err
    args = command.group(1).split()
    assert Path(args[1]) == _journal(tmp_path, "later")
    idle_server.start()
    invoke = CliRunner().invoke
    sent = invoke(cli, args, catch_exceptions=False)
    assert sent.exit_code == 0 and "now FINISHED with 3 metric series, 9000 points" in sent.output
    assert "already up to date" in invoke(cli, args, catch_exceptions=False).output
    (Path(args[1]) / "synced-offset").unlink()  # forget what was sent: still applied once
    assert invoke(cli, args, catch_exceptions=False).exit_code == 0
    assert_logged_once(idle_server.url, "later", 3000)


@pytest.mark.parametrize("store_uri", ["sqlite"], indirect=True)
def test_refused_batches_are_set_aside_not_retried(
    server: InProcessServer,
    remote_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    run = tracklog.init(project="refused")
    for i in range(100):
        run.log({"x": float(i)})
    assert run.summary["x"] == 99.0
    remote = RemoteStore(server.url)
    remote.delete_run(run.id)  # from now on the server refuses writes to it (409)
    for i in range(100, 200):
        run.log({"x": float(i)})
    with pytest.warns(UserWarning, match="refused append_metrics"):
        run.finish()
    assert "refused" in capfd.readouterr().err
    folder = _journal(remote_env, run.id)
    assert read_offset(folder / "synced-offset") == (folder / JOURNAL_FILE).stat().st_size
    kept = list(read_records(folder / "rejected" / JOURNAL_FILE))
    batches = [p for r in kept if r.op == "append_metrics" for p in r.args["batch"]]
    values = [v for p in batches for v in p.values]
    assert values == [float(i) for i in range(100, 200)]
    # Once the run is restored, the set-aside records can be sent on purpose.
    remote.restore_run(run.id)
    resent = CliRunner().invoke(cli, ["sync", str(folder / "rejected"), "--uri", server.url])
    assert resent.exit_code == 0, resent.output
    assert len(tracklog.Api(server.url).run(run.id).series("x")) == 200


@pytest.mark.parametrize("store_uri", ["sqlite"], indirect=True)
def test_large_batches_travel_in_parts_applied_once(
    server: InProcessServer, remote_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.client import sender

    monkeypatch.setattr(sender, "SPLIT_POINTS", 1000)
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    with tracklog.init(project="parts") as run:
        for i in range(2500):
            run.log({"a": float(i), "b": -float(i)})
    folder = _journal(remote_env, run.id)
    sizes = [
        sum(len(p.steps) for p in r.args.get("batch", ()))
        for r in read_records(folder / JOURNAL_FILE)
    ]
    assert max(sizes) > 1000  # at least one batch was split
    (folder / "synced-offset").unlink()  # send it all again: every part is known by its id
    files = sender.JournalFiles(folder, folder / JOURNAL_FILE, folder / "synced-offset")
    assert sender.send_journal(RemoteStore(server.url), files)[1] > 0
    stored = tracklog.Api(server.url).run(run.id)
    assert stored.series("a").values.tolist() == [float(i) for i in range(2500)]
    assert stored.series("b").values.tolist() == [-float(i) for i in range(2500)]
