"""Users, tokens and permissions in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tracklog.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
)
from tracklog.store import auth as auth_module
from tracklog.store import schema
from tracklog.store.auth import AuthStore, parse_expiry
from tracklog.store.clock import now_ms
from tracklog.store.tracking import Store

PASSWORD = "correct horse battery"
REAL_HASHER = auth_module._hasher  # taken before the fixture below replaces it


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with tiny costs: the real ones take ~0.5 s a hash on a small test machine."""
    monkeypatch.setattr(auth_module, "_hasher", PasswordHasher(1, 64, 1))


@pytest.fixture
def auth(store: Store) -> AuthStore:
    return AuthStore(store)


def test_real_hasher_has_at_least_owasp_costs() -> None:
    assert REAL_HASHER.time_cost >= 2 and REAL_HASHER.memory_cost >= 19_456


def test_passwords_are_argon2_hashes_and_verify(auth: AuthStore) -> None:
    auth.create_user("alice", PASSWORD, admin=True)
    with auth.engine.connect() as conn:
        stored = conn.execute(select(schema.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2") and PASSWORD not in stored
    user = auth.verify_password("alice", PASSWORD)
    assert user.name == "alice" and user.is_admin
    assert auth.verify_password("alice", PASSWORD) == user  # the cached path agrees
    for name, password in (("alice", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(AuthenticationError, match="wrong user name or password"):
            auth.verify_password(name, password)
    auth.set_password("alice", "another password")
    with pytest.raises(AuthenticationError):  # the cache does not outlive a password change
        auth.verify_password("alice", PASSWORD)
    assert auth.verify_password("alice", "another password").name == "alice"


def test_user_rules_name_the_bad_value(auth: AuthStore) -> None:
    auth.create_user("bob", PASSWORD)
    with pytest.raises(AlreadyExistsError, match="'bob'"):
        auth.create_user("bob", PASSWORD)
    with pytest.raises(InvalidValueError, match="'a:b'"):
        auth.create_user("a:b", PASSWORD)
    with pytest.raises(InvalidValueError, match="8 to 1024") as short:
        auth.create_user("carol", "short")
    assert "short" not in str(short.value).replace("8 to 1024", "")  # never echoes a password
    with pytest.raises(NotFoundError, match="'nobody'"):
        auth.delete_user("nobody")
    assert [u.name for u in auth.users()] == ["bob"]


def test_tokens_store_only_a_hash_and_revocation_sticks(auth: AuthStore) -> None:
    auth.create_user("dave", None)  # tokens only
    new = auth.create_token("dave", "ci")
    with auth.engine.connect() as conn:
        row = conn.execute(select(schema.tokens)).one()
    assert new.secret not in str(tuple(row))
    assert row.secret_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert auth.verify_token(new.secret).name == "dave"
    assert auth.tokens("dave")[0].last_used_at is not None
    with pytest.raises(AuthenticationError):
        auth.verify_password("dave", "any password at all")
    auth.revoke_token(new.info.id)
    auth.revoke_token(new.info.id)  # again: no change, no error
    with pytest.raises(AuthenticationError, match="invalid or revoked"):
        auth.verify_token(new.secret)
    with pytest.raises(AuthenticationError):
        auth.verify_token("tlk_" + "x" * 43)
    with pytest.raises(NotFoundError, match="12345"):
        auth.revoke_token(12345)
    auth.delete_user("dave")
    assert auth.tokens() == []


def test_permissions_levels_grants_and_creator_manage(store: Store, auth: AuthStore) -> None:
    owner = auth.create_user("owner", PASSWORD)
    reader = auth.create_user("reader", PASSWORD)
    assert auth.claim_project(owner, "vision") is True  # new: created, owner gets MANAGE
    run = store.create_run("vision")
    assert auth.claim_project(owner, "vision") is False  # exists: owner holds EDIT and more
    assert auth.grants(project="vision")[0].permission == "MANAGE"
    with pytest.raises(PermissionDeniedError, match=r"'reader' needs READ .* 'vision'"):
        auth.require_run(reader, run.id, "READ")
    auth.grant("reader", "vision", "read")
    auth.require_run(reader, run.id, "READ")
    with pytest.raises(PermissionDeniedError, match=r"needs EDIT .* \(has READ\)"):
        auth.claim_project(reader, "vision")
    assert auth.readable_projects(reader) == ["vision"]
    with pytest.raises(InvalidValueError, match="'OWN'"):
        auth.grant("reader", "vision", "OWN")
    with pytest.raises(NotFoundError, match="'ghost'"):
        auth.grant("reader", "ghost", "READ")
    auth.revoke("reader", "vision")
    with pytest.raises(NotFoundError):
        auth.revoke("reader", "vision")
    assert auth.readable_projects(reader) == []
    admin = auth.create_user("root", PASSWORD, admin=True)
    auth.require_run(admin, run.id, "MANAGE")
    assert auth.readable_projects(admin) is None
    auth.delete_user("owner")
    assert auth.grants() == []


def test_tokens_can_expire_and_list_their_expiry(auth: AuthStore) -> None:
    auth.create_user("erin", None)
    forever = auth.create_token("erin", "forever")
    later = auth.create_token("erin", "later", expires_at=now_ms() + 3_600_000)
    soon = auth.create_token("erin", "soon", expires_at=now_ms() + 1_500)
    assert forever.info.expires_at is None and soon.info.expires_at is not None
    assert auth.verify_token(later.secret).name == "erin"  # not expired yet: accepted
    listed = {t.name: t.expires_at for t in auth.tokens("erin")}
    assert listed == {"forever": None, "later": later.info.expires_at, "soon": soon.info.expires_at}
    with pytest.raises(InvalidValueError, match="in the future"):
        auth.create_token("erin", "stale", expires_at=now_ms() - 1)
    while now_ms() <= soon.info.expires_at:  # wait for the clock, however slow the machine
        time.sleep(0.05)
    day = datetime.fromtimestamp(soon.info.expires_at / 1000, timezone.utc).strftime("%Y-%m-%d")
    with pytest.raises(AuthenticationError, match=f"token expired on {day}"):
        auth.verify_token(soon.secret)
    assert auth.verify_token(forever.secret).name == "erin"


def test_token_expiry_takes_durations_and_dates() -> None:
    now = 1_800_000_000_000  # 2027-01-15T08:00:00Z
    assert parse_expiry("90d", now) == now + 90 * 86_400_000
    assert parse_expiry("12h", now) == now + 12 * 3_600_000
    assert parse_expiry(" 30m ", now) == now + 30 * 60_000
    assert parse_expiry("2w", now) == now + 14 * 86_400_000
    march = int(datetime(2027, 3, 1, tzinfo=timezone.utc).timestamp() * 1000)
    assert parse_expiry("2027-03-01", now) == march  # a date: its midnight, UTC
    assert parse_expiry("2027-03-01T02:00:00+02:00", now) == march
    for bad in ("", "90", "d", "-5d", "0h", "1.5d", "90 days", "2020-01-01", "tomorrow"):
        with pytest.raises(InvalidValueError, match="token expiry"):
            parse_expiry(bad, now)
