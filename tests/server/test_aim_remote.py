"""``tracklog.aim.Run`` with a server as its repo: params, tracked values in contexts, tags
and values saved as files reach the server; context summaries filter there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_helpers import sdk_session

import tracklog
from inprocess import InProcessServer
from tracklog.aim import Run


@pytest.fixture
def remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from sdk_session(tmp_path, monkeypatch)


def test_an_aim_script_logs_to_a_server(server: InProcessServer, remote_env: Path) -> None:
    run = Run(repo=server.url, experiment="remote")
    run["hparams"] = {"lr": 0.1}
    run["state"] = {1, 2, 3}  # a set has no JSON form: saved as a run file
    run.add_tag("a")
    run.add_tag("b")
    run.remove_tag("a")
    run.name = "renamed"
    for step in range(3):
        run.track(step / 10, name="acc", step=step, epoch=0, context={"subset": "val"})
    assert run["state"] == {1, 2, 3}
    run.close()

    api = tracklog.Api(server.url)
    stored = api.run(run.hash)
    assert (stored.name, stored.labels, stored.project) == ("renamed", ["b"], "remote")
    assert stored.config["hparams"] == {"lr": 0.1}
    assert "aim/values/state.pkl" in stored.files()
    assert stored.config["state"]["_pickle_file"] == "aim/values/state.pkl"
    assert stored.summary["acc[subset=val]"] == pytest.approx(0.2)
    found = api.runs("remote", filter="metrics.acc[subset=val] >= 0.2")
    assert [r.id for r in found] == [run.hash]
    assert list(api.runs("remote", filter="metrics.acc[subset=train] >= 0")) == []
    # Continued later, the saved value is read back from the server.
    again = Run(run_hash=run.hash, repo=server.url)
    assert again["state"] == {1, 2, 3}
    again.close()
