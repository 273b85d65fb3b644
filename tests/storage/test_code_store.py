"""AuthorizationCodeStore contract, on SQLite, PostgreSQL and the in-memory fake: a code reads
back whole, and is used up exactly once however many redeem it at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.ports import AuthorizationCode, Grant
from tests.storage.conftest import WITH_MEMORY, OAuthStores

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"openid", "profile"})


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _code(oauth: OAuthStores) -> AuthorizationCode:
    await oauth.grants.add(Grant("g1", oauth.client_id, oauth.user_id, SCOPES, NOW))
    code = AuthorizationCode(
        "c" * 64, "g1", oauth.client_id, oauth.user_id, None, SCOPES, None, None, NOW, NOW
    )
    await oauth.codes.add(code)
    return code


async def test_a_code_reads_back_whole(oauth: OAuthStores) -> None:
    await oauth.grants.add(Grant("g1", oauth.client_id, oauth.user_id, SCOPES, NOW))
    code = AuthorizationCode(
        "c" * 64,
        "g1",
        oauth.client_id,
        oauth.user_id,
        "https://app.example/callback",
        SCOPES,
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "S256",
        NOW - timedelta(minutes=5),
        NOW + timedelta(minutes=1),
        nonce="n-0S6_WzA2Mj",
        oidc={"acr": "1", "amr": ["pwd"]},
    )
    await oauth.codes.add(code)
    assert await oauth.codes.get(code.code_hash) == code
    assert await oauth.codes.get("d" * 64) is None


async def test_reading_a_code_does_not_use_it_up(oauth: OAuthStores) -> None:
    code = await _code(oauth)
    assert await oauth.codes.get(code.code_hash) == code
    assert await oauth.codes.get(code.code_hash) == code
    assert await oauth.codes.consume(code.code_hash) == (code, True)
    assert await oauth.codes.consume(code.code_hash) == (code, False)
    assert await oauth.codes.get(code.code_hash) == code  # still there, to revoke its tokens


async def test_an_unknown_code_is_never_consumed(oauth: OAuthStores) -> None:
    assert await oauth.codes.consume("d" * 64) == (None, False)


async def test_a_code_redeemed_20_times_at_once_is_redeemed_exactly_once(
    oauth: OAuthStores,
) -> None:
    code = await _code(oauth)
    results = await asyncio.gather(*(oauth.codes.consume(code.code_hash) for _ in range(20)))
    assert sorted(first for _, first in results) == [False] * 19 + [True]
    assert all(found == code for found, _ in results)
