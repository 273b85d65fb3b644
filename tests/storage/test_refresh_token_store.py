"""RefreshTokenStore contract, on SQLite, PostgreSQL and the in-memory fake: a token is rotated
once, however many present it at once; presented again, the grace decides what it is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.ports import Grant, RefreshToken, RevokedBecause, Rotation
from tests.storage.conftest import WITH_MEMORY, OAuthStores

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"openid", "profile"})


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _grant(oauth: OAuthStores, grant_id: str = "g1") -> str:
    await oauth.grants.add(Grant(grant_id, oauth.client_id, oauth.user_id, SCOPES, NOW))
    return grant_id


def _token(oauth: OAuthStores, token_hash: str, grant_id: str = "g1") -> RefreshToken:
    return RefreshToken(
        token_hash, grant_id, oauth.client_id, oauth.user_id, SCOPES, NOW, NOW + timedelta(days=1)
    )


async def test_a_token_reads_back_whole_and_rotated_once(oauth: OAuthStores) -> None:
    await _grant(oauth)
    token = _token(oauth, "a" * 64)
    await oauth.refresh_tokens.add(token)
    assert await oauth.refresh_tokens.get(token.token_hash) == token
    assert await oauth.refresh_tokens.get("z" * 64) is None
    successor = _token(oauth, "b" * 64)
    rotated = await oauth.refresh_tokens.rotate(
        token.token_hash, successor, now=NOW, grace_seconds=0
    )
    assert rotated is Rotation.ROTATED
    old = await oauth.refresh_tokens.get(token.token_hash)
    assert old is not None and old.rotated_at == NOW
    assert await oauth.refresh_tokens.get(successor.token_hash) == successor


@pytest.mark.parametrize(
    ("grace", "later", "outcome"),
    [
        (0, 0, Rotation.REUSED),  # no grace: even at the same instant, a replay
        (10, 10, Rotation.JUST_ROTATED),
        (10, 11, Rotation.REUSED),
    ],
)
async def test_a_rotated_token_presented_again_is_judged_by_the_grace(
    oauth: OAuthStores, grace: int, later: int, outcome: Rotation
) -> None:
    await _grant(oauth)
    await oauth.refresh_tokens.add(_token(oauth, "a" * 64))
    successor = _token(oauth, "b" * 64)
    rotated = await oauth.refresh_tokens.rotate("a" * 64, successor, now=NOW, grace_seconds=grace)
    assert rotated is Rotation.ROTATED

    again = await oauth.refresh_tokens.rotate(
        "a" * 64, successor, now=NOW + timedelta(seconds=later), grace_seconds=grace
    )

    assert again is outcome
    assert await oauth.refresh_tokens.get("b" * 64) == successor  # stored once, never twice


async def test_an_unknown_token_is_never_rotated(oauth: OAuthStores) -> None:
    await _grant(oauth)
    successor = _token(oauth, "b" * 64)
    assert (
        await oauth.refresh_tokens.rotate("a" * 64, successor, now=NOW, grace_seconds=10)
        is Rotation.UNKNOWN
    )
    assert await oauth.refresh_tokens.get(successor.token_hash) is None


async def test_a_token_presented_ten_times_at_once_is_rotated_exactly_once(
    oauth: OAuthStores,
) -> None:
    await _grant(oauth)
    await oauth.refresh_tokens.add(_token(oauth, "a" * 64))
    outcomes = await asyncio.gather(
        *(
            oauth.refresh_tokens.rotate(
                "a" * 64, _token(oauth, f"{n:064d}"), now=NOW, grace_seconds=10
            )
            for n in range(10)
        )
    )
    assert sorted(o.value for o in outcomes) == ["just_rotated"] * 9 + ["rotated"]
    winner = outcomes.index(Rotation.ROTATED)
    stored = [await oauth.refresh_tokens.get(f"{n:064d}") for n in range(10)]
    assert [n for n, token in enumerate(stored) if token is not None] == [winner]


async def test_revoking_a_grant_deletes_its_tokens_and_leaves_other_grants_tokens(
    oauth: OAuthStores,
) -> None:
    await _grant(oauth, "g1")
    await _grant(oauth, "g2")
    await oauth.refresh_tokens.add(_token(oauth, "a" * 64, "g1"))
    await oauth.refresh_tokens.add(_token(oauth, "b" * 64, "g1"))
    await oauth.refresh_tokens.add(_token(oauth, "c" * 64, "g2"))
    await oauth.grants.revoke("g1", RevokedBecause.CODE_REUSED)
    assert await oauth.refresh_tokens.get("a" * 64) is None
    assert await oauth.refresh_tokens.get("b" * 64) is None
    assert await oauth.refresh_tokens.get("c" * 64) is not None
