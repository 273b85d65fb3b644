"""The refresh token grant against in-memory stores: rotation, replay (RFC 9700 §4.14.2), the
optional grace period, and the family's longest lifetime."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from stint.protocol.grants.refresh_token import RefreshTokenGrant
from stint.protocol.jws import segment_json
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.id_token import half_hash
from stint.protocol.ports import Grant, RefreshToken, RevokedBecause, Rotation
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import MemoryOAuth, MemoryRefreshTokens, memory_oauth, web_client

pytestmark = pytest.mark.anyio

ALICE = Subject(1, "alice")
SCOPES = frozenset({"activities:read", "profile", "openid"})
DAY = 86400


async def _family(
    oauth: MemoryOAuth, client: Client, subject: Subject = ALICE, **grant: Any
) -> tuple[str, Grant]:
    """A grant and the first refresh token issued under it."""
    made = await oauth.tokens.new_grant(client, subject, SCOPES, **grant)
    body = await oauth.tokens.response(client, subject, SCOPES, made.id)
    return body["refresh_token"], made


async def _refresh(
    grant: RefreshTokenGrant, client: Client, value: str, **params: str
) -> dict[str, Any]:
    form = {"grant_type": "refresh_token", "refresh_token": value} | params
    return await grant.exchange(client, EndpointRequest(form))


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


async def test_a_refresh_gives_a_new_access_token_and_retires_the_refresh_token() -> None:
    """RFC 6749 §6 and RFC 9700 §4.14.2: rotation, the successor stored in the same family."""
    oauth = await memory_oauth()
    client = web_client()
    first, grant = await _family(oauth, client)

    body = await _refresh(RefreshTokenGrant(oauth.context()), client, first)

    assert body["refresh_token"] != first
    claims = await oauth.verifier().verify(body["access_token"])
    assert (claims.subject, claims.grant_id, claims.scopes) == ("1", grant.id, SCOPES)
    retired = oauth.refresh_tokens.tokens[oauth.hasher.hash(first)]
    assert retired.rotated_at == oauth.clock()


async def test_a_request_without_a_refresh_token_is_malformed() -> None:
    oauth = await memory_oauth()
    with pytest.raises(InvalidRequestError, match="refresh_token is required"):
        await _refresh(RefreshTokenGrant(oauth.context()), web_client(), "")


async def test_another_clients_refresh_token_is_unknown_and_stays_usable() -> None:
    """RFC 6749 §6: the token must have been issued to the authenticated client."""
    oauth = await memory_oauth()
    owner, other = web_client("owner"), web_client("other")
    handler = RefreshTokenGrant(oauth.context())
    value, grant = await _family(oauth, owner)

    assert "unknown" in await _refused(handler, other, value)

    assert not await oauth.grants.is_revoked(grant.id)
    assert (await _refresh(handler, owner, value))["access_token"]


async def test_a_refresh_token_that_was_never_issued_is_unknown() -> None:
    oauth = await memory_oauth()
    handler = RefreshTokenGrant(oauth.context())
    assert "unknown" in await _refused(handler, web_client(), "made-up")


async def test_an_expired_refresh_token_is_refused() -> None:
    oauth = await memory_oauth(refresh_ttl=DAY)
    client = web_client()
    value, _ = await _family(oauth, client)
    oauth.clock.advance(DAY)

    assert "expired" in await _refused(RefreshTokenGrant(oauth.context()), client, value)


async def test_a_refresh_token_of_a_revoked_grant_is_refused() -> None:
    """Revoking a grant deletes its refresh tokens too; one read just before is still refused."""
    oauth = await memory_oauth()
    client = web_client()
    value, grant = await _family(oauth, client)
    oauth.grants.grants[grant.id] = replace(grant, revoked_at=oauth.clock())

    assert "revoked" in await _refused(RefreshTokenGrant(oauth.context()), client, value)


async def test_a_narrower_scope_narrows_the_access_token_but_not_the_successor() -> None:
    """RFC 6749 §6: a subset of the original scope may be asked for."""
    oauth = await memory_oauth()
    client = web_client()
    handler = RefreshTokenGrant(oauth.context())
    first, _ = await _family(oauth, client)

    narrowed = await _refresh(handler, client, first, scope="profile")

    assert narrowed["scope"] == "profile"
    assert (await oauth.verifier().verify(narrowed["access_token"])).scopes == {"profile"}
    later = await _refresh(handler, client, narrowed["refresh_token"])
    assert later["scope"] == " ".join(sorted(SCOPES))


@pytest.mark.parametrize("scope", ["activities:write", "activities:read reports:read", "nope"])
async def test_a_scope_wider_than_the_grant_is_refused_and_uses_nothing_up(scope: str) -> None:
    """RFC 6749 §6: the scope must not include any scope not originally granted."""
    oauth = await memory_oauth()
    client = web_client()
    handler = RefreshTokenGrant(oauth.context())
    first, _ = await _family(oauth, client)

    with pytest.raises(InvalidScopeError, match="not allowed"):
        await _refresh(handler, client, first, scope=scope)

    assert (await _refresh(handler, client, first))["refresh_token"]


async def test_a_disabled_users_refresh_token_is_refused() -> None:
    oauth = await memory_oauth()
    client = web_client()
    value, _ = await _family(oauth, client)
    del oauth.users.names[1]

    assert "no longer active" in await _refused(RefreshTokenGrant(oauth.context()), client, value)


async def test_a_family_of_the_client_itself_refreshes_without_a_user() -> None:
    oauth = await memory_oauth()
    client = web_client()
    value, _ = await _family(oauth, client, Subject(None))

    body = await _refresh(RefreshTokenGrant(oauth.context()), client, value)

    claims = await oauth.verifier().verify(body["access_token"])
    assert (claims.subject, claims.user_id, claims.username) == ("web", None, "")


async def test_a_token_gone_before_its_rotation_is_unknown() -> None:
    """The store answers UNKNOWN when the token vanished between the read and the rotation."""
    oauth = await memory_oauth()
    client = web_client()
    value, grant = await _family(oauth, client)

    class Vanishing(MemoryRefreshTokens):
        async def rotate(
            self, token_hash: str, successor: RefreshToken, *, now: datetime, grace_seconds: int
        ) -> Rotation:
            return Rotation.UNKNOWN

    vanishing = Vanishing()
    vanishing.tokens = oauth.refresh_tokens.tokens
    handler = RefreshTokenGrant(oauth.context(refresh_tokens=vanishing))

    assert "unknown" in await _refused(handler, client, value)
    assert not await oauth.grants.is_revoked(grant.id)


async def test_an_openid_refresh_gives_an_id_token_of_the_same_sign_in_without_the_nonce() -> None:
    """OIDC Core §12.2: same sub and auth_time as the first ID token; the nonce is not repeated."""
    oauth = await memory_oauth()
    client = web_client()
    signed_in = oauth.clock()
    auth = AuthContext.at(signed_in, nonce="n-0S6")
    handler = RefreshTokenGrant(oauth.context(id_tokens=oauth.id_tokens()))
    first, _ = await _family(oauth, client, oidc=auth.to_json())
    oauth.clock.advance(3600)

    body = await _refresh(handler, client, first, scope="openid")

    claims = segment_json(body["id_token"], 1)
    assert (claims["sub"], claims["auth_time"]) == ("1", int(signed_in.timestamp()))
    assert "nonce" not in claims
    assert claims["at_hash"] == half_hash(body["access_token"], "ES256")


async def test_a_refresh_without_the_openid_scope_gives_no_id_token() -> None:
    oauth = await memory_oauth()
    client = web_client()
    auth = AuthContext.at(oauth.clock())
    handler = RefreshTokenGrant(oauth.context(id_tokens=oauth.id_tokens()))
    first, _ = await _family(oauth, client, oidc=auth.to_json())

    assert "id_token" not in await _refresh(handler, client, first, scope="profile")
