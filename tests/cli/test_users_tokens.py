"""``tracklog users`` and ``tracklog tokens`` on a SQLite store given by ``--uri``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result

from tracklog.cli.main import cli
from tracklog.store import auth as auth_module
from tracklog.store.auth import AuthStore
from tracklog.store.clock import now_ms
from tracklog.store.tracking import Store


@pytest.fixture
def tracklog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``tracklog --uri <store> ARGS`` in-process; argon2 made cheap for speed."""
    monkeypatch.setattr(auth_module, "_hasher", PasswordHasher(1, 64, 1))
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts"))
    uri = f"sqlite:///{tmp_path}/tracklog.db"

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--uri", uri, *args], input=input)

    run.uri = uri  # type: ignore[attr-defined]
    return run


def test_users_create_list_grant_revoke_delete(tracklog) -> None:  # type: ignore[no-untyped-def]
    made = tracklog("users", "create", "alice", "--password-stdin", input="a long password\n")
    assert made.exit_code == 0, made.output
    prompted = tracklog("users", "create", "root", "--admin", input="pass word 1\npass word 1\n")
    assert prompted.exit_code == 0 and "(admin)" in prompted.stdout
    mismatch = tracklog("users", "create", "bob", input="pass word 1\npass word 2\n" * 3)
    assert mismatch.exit_code != 0
    store = Store(tracklog.uri)
    auth = AuthStore(store)
    assert auth.verify_password("alice", "a long password").name == "alice"
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar()
    assert stored.startswith("$argon2")
    store.get_or_create_project("vision")
    assert tracklog("users", "grant", "alice", "vision", "edit").exit_code == 0
    listed = tracklog("users", "ls")
    assert "alice" in listed.stdout and "vision:EDIT" in listed.stdout
    bad = tracklog("users", "grant", "alice", "vision", "OWN")
    assert bad.exit_code == 1 and "'OWN'" in bad.stderr
    missing = tracklog("users", "grant", "alice", "nowhere", "READ")
    assert missing.exit_code == 1 and "'nowhere'" in missing.stderr
    assert tracklog("users", "revoke", "alice", "vision").exit_code == 0
    assert auth.grants() == []
    assert tracklog("users", "delete", "alice").exit_code == 0
    assert [u.name for u in auth.users()] == ["root"]
    store.close()


def test_tokens_secret_is_shown_once(tracklog) -> None:  # type: ignore[no-untyped-def]
    assert tracklog("users", "create", "ci", "--no-password").exit_code == 0
    made = tracklog("tokens", "create", "--user", "ci", "--name", "nightly")
    assert made.exit_code == 0 and "cannot be shown again" in made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("tlk_") and len(secret) > 40
    listed = tracklog("tokens", "ls", "--user", "ci", "--json")
    assert '"name": "nightly"' in listed.stdout and secret not in listed.stdout
    assert tracklog("tokens", "revoke", "1").exit_code == 0
    assert '"revoked_at": null' not in tracklog("tokens", "ls", "--json").stdout
    assert tracklog("tokens", "revoke", "99").exit_code == 1
    unknown = tracklog("tokens", "create", "--user", "nobody")
    assert unknown.exit_code == 1 and "'nobody'" in unknown.stderr


def test_tokens_create_with_an_expiry_lists_it(tracklog) -> None:  # type: ignore[no-untyped-def]
    assert tracklog("users", "create", "ci", "--no-password").exit_code == 0
    before = now_ms()
    made = tracklog("tokens", "create", "--user", "ci", "--expires", "90d")
    assert made.exit_code == 0, made.output
    assert "expires on" in made.stderr
    lines = tracklog("tokens", "ls", "--json").stdout.splitlines()
    (listed,) = [json.loads(line) for line in lines]
    expected = before + 90 * 86_400_000
    assert expected <= listed["expires_at"] <= expected + 60_000
    table = tracklog("tokens", "ls").stdout
    assert "expires" in table
    for bad in ("yesterday", "2020-01-01", "0d"):
        refused = tracklog("tokens", "create", "--user", "ci", "--expires", bad)
        assert refused.exit_code != 0 and "token expiry" in refused.stderr, bad
    assert len(tracklog("tokens", "ls", "--json").stdout.splitlines()) == 1  # none made
