"""The refresh token grant against in-memory stores: rotation, replay (RFC 9700 §4.14.2), the
optional grace period, and the family's longest lifetime."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError
from stint.protocol.grants.refresh_token import RefreshTokenGrant
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import Grant, RevokedBecause
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import MemoryOAuth, memory_oauth, web_client

pytestmark = pytest.mark.anyio

ALICE = Subject(1, "alice")
SCOPES = frozenset({"activities:read", "profile"})
DAY = 86400


async def _family(oauth: MemoryOAuth, client: Client) -> tuple[str, Grant]:
    """A grant and the first refresh token issued under it."""
    grant = await oauth.tokens.new_grant(client, ALICE, SCOPES)
    body = await oauth.tokens.response(client, ALICE, SCOPES, grant.id)
    return body["refresh_token"], grant


async def _refresh(grant: RefreshTokenGrant, client: Client, value: str) -> dict[str, Any]:
    params = {"grant_type": "refresh_token", "refresh_token": value}
    return await grant.exchange(client, EndpointRequest(params))


async def _refused(grant: RefreshTokenGrant, client: Client, value: str) -> str:
    with pytest.raises(InvalidGrantError) as caught:
        await _refresh(grant, client, value)
    return caught.value.description


async def test_replaying_a_rotated_refresh_token_revokes_the_family() -> None:
    oauth = await memory_oauth()
    client = web_client()
    handler = RefreshTokenGrant(oauth.context())
    first, grant = await _family(oauth, client)
    second = (await _refresh(handler, client, first))["refresh_token"]

    # At once, as an attacker racing the rightful client would: no grace by default.
    assert "already used" in await _refused(handler, client, first)

    assert await oauth.grants.is_revoked(grant.id)
    assert oauth.refresh_tokens.of_grant(grant.id) == []
    assert oauth.grants.revocations == [(grant.id, RevokedBecause.REFRESH_REPLAYED)]
    # The rightful holder's newest token ends with the thief's copy.
    assert "unknown" in await _refused(handler, client, second)


async def test_within_an_operators_grace_a_replay_gets_the_same_successor() -> None:
    oauth = await memory_oauth()
    client = web_client()
    handler = RefreshTokenGrant(oauth.context(refresh_grace_seconds=30))
    first, grant = await _family(oauth, client)
    rotated = await _refresh(handler, client, first)
    stored = {t.token_hash: t for t in oauth.refresh_tokens.of_grant(grant.id)}
    oauth.clock.advance(20)

    replayed = await _refresh(handler, client, first)

    assert replayed["refresh_token"] == rotated["refresh_token"]
    assert replayed["access_token"]
    # Idempotent: nothing new stored, nothing lives longer.
    assert {t.token_hash: t for t in oauth.refresh_tokens.of_grant(grant.id)} == stored
    assert not await oauth.grants.is_revoked(grant.id)
    third = await _refresh(handler, client, rotated["refresh_token"])
    assert third["refresh_token"] not in (first, rotated["refresh_token"])


async def test_after_the_grace_a_replay_revokes_the_family() -> None:
    oauth = await memory_oauth()
    client = web_client()
    handler = RefreshTokenGrant(oauth.context(refresh_grace_seconds=30))
    first, grant = await _family(oauth, client)
    second = (await _refresh(handler, client, first))["refresh_token"]
    oauth.clock.advance(31)

    assert "already used" in await _refused(handler, client, first)

    assert await oauth.grants.is_revoked(grant.id)
    await _refused(handler, client, second)


async def test_within_the_grace_a_replay_after_the_successor_was_used_revokes_the_family() -> None:
    """The successor moved on, so the copy is not a retry of the same refresh."""
    oauth = await memory_oauth()
    client = web_client()
    handler = RefreshTokenGrant(oauth.context(refresh_grace_seconds=30))
    first, grant = await _family(oauth, client)
    second = (await _refresh(handler, client, first))["refresh_token"]
    third = (await _refresh(handler, client, second))["refresh_token"]
    oauth.clock.advance(5)

    assert "already used" in await _refused(handler, client, first)

    assert await oauth.grants.is_revoked(grant.id)
    await _refused(handler, client, third)


async def test_a_refresh_token_family_ends_its_lifetime_after_the_grant_began() -> None:
    oauth = await memory_oauth(refresh_ttl=5 * DAY)
    client = web_client()
    handler = RefreshTokenGrant(oauth.context(refresh_family_seconds=12 * DAY))
    value, grant = await _family(oauth, client)
    family_ends = grant.created_at + timedelta(days=12)
    for _ in range(2):  # day 4 and day 8: each successor lives five days at most
        oauth.clock.advance(4 * DAY)
        value = (await _refresh(handler, client, value))["refresh_token"]
    latest = oauth.refresh_tokens.tokens[oauth.hasher.hash(value)]
    assert latest.expires_at == family_ends  # day 13 would outlive the family
    oauth.clock.advance(4 * DAY - 1)  # the family's last second
    value = (await _refresh(handler, client, value))["refresh_token"]
    assert oauth.refresh_tokens.tokens[oauth.hasher.hash(value)].expires_at == family_ends
    oauth.clock.advance(1)

    await _refused(handler, client, value)


async def test_a_family_past_a_lowered_lifetime_is_refused_even_with_a_live_token() -> None:
    """An operator who shortens the lifetime ends older families at their next refresh."""
    oauth = await memory_oauth()
    client = web_client()
    first, _ = await _family(oauth, client)
    oauth.clock.advance(2 * DAY)
    handler = RefreshTokenGrant(oauth.context(refresh_family_seconds=DAY))

    assert "lifetime" in await _refused(handler, client, first)
