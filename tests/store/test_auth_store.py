"""Users, tokens and permissions in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

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
from tracklog.store.auth import AuthStore
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
