"""SqlGrantStore, SqlAuthorizationCodeStore and SqlRefreshTokenStore contracts the grants rely
on, on SQLite and PostgreSQL (the in-memory stores of tests/support keep the same ones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.ports import AuthorizationCode, Grant, RefreshToken, Rotation
from stint.storage.client_store import SqlClientStore
from stint.storage.code_store import SqlAuthorizationCodeStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.refresh_token_store import SqlRefreshTokenStore
from stint.storage.user_store import SqlUserStore
from tests.support.oauth_memory import web_client

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"openid", "profile"})


async def _grant(db: Database) -> Grant:
    client = await SqlClientStore(db, cache_seconds=0).add(web_client())
    user = await SqlUserStore(db).add(username="Alice", username_key="alice", password_hash="h")
    grant = Grant("g1", client.client_id, user.id, SCOPES, NOW, oidc={"auth_time": 1})
    await SqlGrantStore(db).add(grant)
    return grant


def _token(grant: Grant, token_hash: str) -> RefreshToken:
    return RefreshToken(
        token_hash, grant.id, grant.client_id, grant.user_id, SCOPES, NOW, NOW + timedelta(days=1)
    )


async def test_a_grant_reads_back_whole_and_shows_its_revocation(db: Database) -> None:
    store = SqlGrantStore(db)
    grant = await _grant(db)
    assert await store.get(grant.id) == grant
    assert await store.get("no-such-grant") is None
    await store.revoke(grant.id)
    revoked = await store.get(grant.id)
    assert revoked is not None and revoked.revoked_at is not None


async def test_reading_a_code_does_not_use_it_up(db: Database) -> None:
    grant = await _grant(db)
    assert grant.user_id is not None
    store = SqlAuthorizationCodeStore(db)
    code = AuthorizationCode(
        "c" * 64, grant.id, grant.client_id, grant.user_id, None, SCOPES, None, None, NOW, NOW
    )
    await store.add(code)
    assert await store.get(code.code_hash) == code
    assert await store.get(code.code_hash) == code
    assert await store.consume(code.code_hash) == (code, True)
    assert await store.consume(code.code_hash) == (code, False)
    assert await store.get("d" * 64) is None


@pytest.mark.parametrize(
    ("grace", "later", "outcome"),
    [
        (0, 0, Rotation.REUSED),  # no grace: even at the same instant, a replay
        (10, 10, Rotation.JUST_ROTATED),
        (10, 11, Rotation.REUSED),
    ],
)
async def test_a_rotated_token_presented_again_is_judged_by_the_grace(
    db: Database, grace: int, later: int, outcome: Rotation
) -> None:
    grant = await _grant(db)
    store = SqlRefreshTokenStore(db)
    await store.add(_token(grant, "a" * 64))
    successor = _token(grant, "b" * 64)
    assert await store.rotate("a" * 64, successor, now=NOW, grace_seconds=grace) is Rotation.ROTATED

    again = await store.rotate(
        "a" * 64, successor, now=NOW + timedelta(seconds=later), grace_seconds=grace
    )

    assert again is outcome
    assert await store.get("b" * 64) == successor  # stored once, never twice
