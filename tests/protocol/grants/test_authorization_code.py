"""The authorization code grant against in-memory stores: who may use a code up (RFC 6749
§4.1.3, RFC 7636 §4.6) and what a reused code revokes (§4.1.2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError
from stint.protocol.grants.authorization_code import AuthorizationCodeGrant
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import AuthorizationCode, RevokedBecause
from stint.protocol.secrets import new_secret
from stint.protocol.tokens import Subject
from tests.http.oauth.flow import REDIRECT_URI, Pkce, new_pkce
from tests.support.oauth_memory import MemoryOAuth, memory_oauth, web_client

pytestmark = pytest.mark.anyio

SCOPES = frozenset({"activities:read"})


async def _code(oauth: MemoryOAuth, client: Client, pkce: Pkce) -> tuple[str, str]:
    """A code issued to ``client`` for alice: (its value, its grant's id)."""
    grant = await oauth.tokens.new_grant(client, Subject(1, "alice"), SCOPES)
    value = new_secret()
    now = oauth.clock()
    await oauth.codes.add(
        AuthorizationCode(
            code_hash=oauth.hasher.hash(value),
            grant_id=grant.id,
            client_id=client.client_id,
            user_id=1,
            redirect_uri=REDIRECT_URI,
            scopes=SCOPES,
            code_challenge=pkce.challenge,
            code_challenge_method="S256",
            auth_time=now,
            expires_at=now + timedelta(seconds=60),
        )
    )
    return value, grant.id


async def _redeem(
    handler: AuthorizationCodeGrant, client: Client, code: str, verifier: str
) -> dict[str, Any]:
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    return await handler.exchange(client, EndpointRequest(params))


async def test_a_code_presented_by_another_client_is_neither_used_up_nor_revoking() -> None:
    oauth = await memory_oauth()
    victim, other = web_client("victim"), web_client("other")
    handler = AuthorizationCodeGrant(oauth.context())
    pkce = new_pkce()
    code, grant_id = await _code(oauth, victim, pkce)

    with pytest.raises(InvalidGrantError, match="another client"):
        await _redeem(handler, other, code, pkce.verifier)

    body = await _redeem(handler, victim, code, pkce.verifier)
    assert body["access_token"] and body["refresh_token"]
    assert not await oauth.grants.is_revoked(grant_id)


async def test_a_public_clients_code_without_its_verifier_is_not_used_up() -> None:
    """A public client's id is no proof: whoever lacks the PKCE verifier burns nothing."""
    oauth = await memory_oauth()
    app = web_client("native", public=True)
    handler = AuthorizationCodeGrant(oauth.context())
    pkce = new_pkce()
    code, grant_id = await _code(oauth, app, pkce)

    with pytest.raises(InvalidGrantError, match="code_verifier"):
        await _redeem(handler, app, code, new_pkce().verifier)

    assert (await _redeem(handler, app, code, pkce.verifier))["access_token"]
    assert not await oauth.grants.is_revoked(grant_id)


async def test_a_reused_code_revokes_what_was_issued_from_it() -> None:
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context())
    pkce = new_pkce()
    code, grant_id = await _code(oauth, client, pkce)
    await _redeem(handler, client, code, pkce.verifier)

    with pytest.raises(InvalidGrantError, match="already used"):
        await _redeem(handler, client, code, pkce.verifier)

    assert await oauth.grants.is_revoked(grant_id)
    assert oauth.refresh_tokens.of_grant(grant_id) == []
    assert oauth.grants.revocations == [(grant_id, RevokedBecause.CODE_REUSED)]
