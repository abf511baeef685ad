"""``tracklog.login()`` and ``tracklog login``: a server's token saved in the user's
credentials file (mode 0600, under $XDG_CONFIG_HOME) and used when $TRACKLOG_TOKEN is unset."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracklog
from inprocess import InProcessServer, in_process_server
from tracklog.errors import AuthenticationError, InvalidValueError


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tracklog.sdk import stores

    monkeypatch.setattr(stores, "_tracking_uri", None)  # login(host=) sets it
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("TRACKLOG_TOKEN", raising=False)
    return home


@pytest.fixture
def secured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[InProcessServer, str]]:
    """A server with --auth and a token of user alice; SDK runs finished afterwards."""
    from tracklog.sdk import current, stores
    from tracklog.store.auth import AuthStore
    from tracklog.store.tracking import Store

    db = f"sqlite:///{tmp_path}/server.db"
    store = Store(db)
    AuthStore(store).create_user("alice", None)
    token = AuthStore(store).create_token("alice", "sdk").secret
    store.close()
    monkeypatch.setattr(stores, "_tracking_uri", None)
    monkeypatch.delenv("TRACKLOG_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    with in_process_server(db, tmp_path / "artifacts", auth=True) as server:
        yield server, token
        for run in list(current.runs):
            run.finish()
        for remote in stores.servers.values():
            remote.close()
        stores.servers.clear()


def test_login_saves_the_token_and_runs_use_it(
    config_home: Path, secured: tuple[InProcessServer, str]
) -> None:
    server, token = secured
    with pytest.raises(AuthenticationError):
        tracklog.login(key="wrong-token", host=server.url, verify=True)
    assert not (config_home / "tracklog" / "credentials.json").exists()
    assert tracklog.login(key=token, host=server.url + "/", verify=True) is True
    saved = config_home / "tracklog" / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["tokens"] == {server.url.rstrip("/").lower(): token}
    # host= is this process's tracking URI now; no $TRACKLOG_TOKEN: the saved token is used.
    with tracklog.init(project="secured") as run:
        run.log({"x": 1.0})
    assert tracklog.Api(server.url).run(run.id).series("x").values.tolist() == [1.0]
    assert tracklog.login(host=server.url) is True  # a token is known: nothing asked


def test_login_without_a_server_or_a_token_is_a_clear_error(
    config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_URI", str(tmp_path / "store"))
    with pytest.raises(InvalidValueError, match="needs host="):
        tracklog.login(key="t")
    with pytest.raises(InvalidValueError, match=r"no token for http://127\.0\.0\.1:9"):
        tracklog.login(host="http://127.0.0.1:9")  # stdin is no terminal under pytest
    with pytest.raises(InvalidValueError, match="without spaces"):
        tracklog.login(key="two words", host="http://127.0.0.1:9")
    with pytest.raises(InvalidValueError, match="http"):
        tracklog.login(key="t", host="ftp://example.com")
    assert not (config_home / "tracklog").exists()
    with pytest.warns(UserWarning, match="login.. ignores these arguments: anonymous"):
        tracklog.login(key="t", host="http://127.0.0.1:9", anonymous="never")


def test_login_command_saves_and_keeps_other_hosts(config_home: Path) -> None:
    from tracklog.cli.main import cli

    runner = CliRunner()
    first = runner.invoke(cli, ["login", "--host", "http://A.example:5000/", "tok-a"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["login", "--host", "https://b.example", "--key", "tok-b"])
    assert second.exit_code == 0, second.output
    kept = runner.invoke(cli, ["login", "--host", "https://b.example"])
    assert kept.exit_code == 0 and "saved already" in kept.output
    relogin = runner.invoke(
        cli, ["login", "--host", "https://b.example", "--relogin"], input="tok-new\n"
    )
    assert relogin.exit_code == 0, relogin.output
    saved = json.loads((config_home / "tracklog" / "credentials.json").read_text())["tokens"]
    assert saved == {"http://a.example:5000": "tok-a", "https://b.example": "tok-new"}
    local = runner.invoke(cli, ["--uri", "./store", "login", "tok"])
    assert local.exit_code == 2 and "--host" in local.output


def test_the_token_in_the_environment_wins_over_the_saved_one(
    config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.client import credentials
    from tracklog.client.settings import ClientSettings

    credentials.save("http://h.example:1", "saved")
    assert ClientSettings.from_env("http://H.example:1/").token == "saved"
    assert ClientSettings.from_env("http://other:1").token is None
    monkeypatch.setenv("TRACKLOG_TOKEN", "env")
    assert ClientSettings.from_env("http://h.example:1").token == "env"
