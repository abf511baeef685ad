"""``RemoteStore`` against a real server does what ``Store`` does for the interface methods
that had drifted: ``projects(name)``, ``set_config``'s ``immutable`` and ``change_id``, and
``owned`` runs."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from server_process import ServerProcess
from tracklog.client.remote import RemoteStore
from tracklog.errors import InvalidValueError
from tracklog.store.location import StoreLocation, resolve
from tracklog.store.tracking import Store


@pytest.fixture(scope="module")
def stores(module_store: tuple[str, Path]) -> Iterator[tuple[RemoteStore, Store]]:
    """A client of one server per database, and the server's store opened directly."""
    uri, artifacts = module_store
    server = ServerProcess(uri, artifacts).start()
    remote = RemoteStore(server.url)
    local = Store(StoreLocation(resolve(uri).db_url, str(artifacts)))
    yield remote, local
    remote.close()
    local.close()
    server.stop()


def _gone_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _project() -> str:
    return f"p-{uuid.uuid4().hex[:8]}"


def test_projects_by_name(stores: tuple[RemoteStore, Store]) -> None:
    remote, local = stores
    wanted, other = _project(), _project()
    remote.create_run(wanted)
    remote.create_run(wanted)
    remote.create_run(other)
    [found] = remote.projects(wanted)
    assert (found.name, found.run_count) == (wanted, 2)
    assert remote.projects(wanted) == local.projects(wanted)
    assert remote.projects("no such project") == []
    assert {wanted, other} <= {p.name for p in remote.projects()}


def test_immutable_config_refuses_a_changed_value(stores: tuple[RemoteStore, Store]) -> None:
    remote, _ = stores
    run = remote.create_run(_project())
    assert remote.set_config(run.id, {"lr": 0.1}, immutable=True) == []
    assert remote.set_config(run.id, {"lr": 0.1}, immutable=True) == []  # same value: fine
    with pytest.raises(InvalidValueError, match="Changing param values is not allowed"):
        remote.set_config(run.id, {"lr": 0.2}, immutable=True)
    assert remote.get_run(run.id).config == {"lr": 0.1}
    assert remote.set_config(run.id, {"lr": 0.3}) == [("lr", 0.1, 0.3)]


def test_a_config_change_id_is_applied_once(stores: tuple[RemoteStore, Store]) -> None:
    remote, _ = stores
    run = remote.create_run(_project(), config={"lr": 0.1})
    assert remote.set_config(run.id, {"lr": 0.2}, change_id="c1") == [("lr", 0.1, 0.2)]
    assert remote.set_config(run.id, {"lr": 0.2}, change_id="c1") == []
    assert [(c["old"], c["new"]) for c in remote.config_history(run.id)] == [(0.1, 0.2)]


def test_unowned_runs_are_never_taken_for_crashed(stores: tuple[RemoteStore, Store]) -> None:
    remote, local = stores
    gone = _gone_pid()
    unowned = remote.create_run(_project(), pid=gone, owned=False)
    owned = remote.create_run(_project(), pid=gone)
    resumed = remote.create_run(_project())
    remote.finish_run(resumed.id, "FINISHED")
    remote.resume_run(resumed.id, pid=gone, owned=False)
    crashed = local.crashed_runs()
    assert unowned.id not in crashed and resumed.id not in crashed
    # The owned one, by a process that is gone, is found (or already recorded by the server).
    assert owned.id in crashed or local.get_run(owned.id).status == "FAILED"
    for run_id in (unowned.id, resumed.id):
        assert remote.get_run(run_id).status == "RUNNING"


def test_a_servers_client_finds_no_crashed_runs_to_record(
    stores: tuple[RemoteStore, Store],
) -> None:
    remote, _ = stores
    remote.create_run(_project(), pid=_gone_pid())
    assert remote.crashed_runs() == {}  # the server records its own
    assert remote.mark_crashed_runs() == []
