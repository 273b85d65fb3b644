"""The authorization code grant against in-memory stores: who may use a code up (RFC 6749
§4.1.3, RFC 7636 §4.6) and what a reused code revokes (§4.1.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError, InvalidRequestError
from stint.protocol.grants.authorization_code import AuthorizationCodeGrant
from stint.protocol.jws import segment_json
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.id_token import half_hash
from stint.protocol.ports import AuthorizationCode, RevokedBecause
from stint.protocol.secrets import new_secret
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import MemoryOAuth, memory_oauth, web_client
from tests.support.pkce import Pkce, new_pkce
from tests.support.tokens import REDIRECT_URI

pytestmark = pytest.mark.anyio

SCOPES = frozenset({"activities:read"})


async def _code(
    oauth: MemoryOAuth, client: Client, pkce: Pkce | None, **changes: Any
) -> tuple[str, str]:
    """A code issued to ``client`` for alice: (its value, its grant's id)."""
    grant = await oauth.tokens.new_grant(client, Subject(1, "alice"), SCOPES)
    value = new_secret()
    now = oauth.clock()
    code = AuthorizationCode(
        code_hash=oauth.hasher.hash(value),
        grant_id=grant.id,
        client_id=client.client_id,
        user_id=1,
        redirect_uri=REDIRECT_URI,
        scopes=SCOPES,
        code_challenge=pkce.challenge if pkce else None,
        code_challenge_method="S256" if pkce else None,
        auth_time=now,
        expires_at=now + timedelta(seconds=60),
    )
    await oauth.codes.add(replace(code, **changes))
    return value, grant.id


async def _redeem(
    handler: AuthorizationCodeGrant,
    client: Client,
    code: str | None,
    verifier: str | None,
    **params: str,
) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI} | params
    if code is not None:
        form["code"] = code
    if verifier is not None:
        form["code_verifier"] = verifier
    return await handler.exchange(client, EndpointRequest(form))


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


async def test_a_code_redeemed_once_gives_an_access_and_a_refresh_token_for_its_scopes() -> None:
    """RFC 6749 §4.1.4: the access token response, with the scopes the user granted."""
    oauth = await memory_oauth()
    client = web_client()
    pkce = new_pkce()
    code, grant_id = await _code(oauth, client, pkce)

    body = await _redeem(AuthorizationCodeGrant(oauth.context()), client, code, pkce.verifier)

    assert body["token_type"] == "Bearer"
    assert body["scope"] == "activities:read"
    claims = await oauth.verifier().verify(body["access_token"])
    assert (claims.subject, claims.username, claims.grant_id) == ("1", "alice", grant_id)
    assert [t.grant_id for t in oauth.refresh_tokens.tokens.values()] == [grant_id]
    assert "id_token" not in body


async def test_a_request_without_a_code_is_malformed() -> None:
    oauth = await memory_oauth()
    with pytest.raises(InvalidRequestError, match="code is required"):
        await _redeem(AuthorizationCodeGrant(oauth.context()), web_client(), None, None)


async def test_a_code_that_was_never_issued_is_refused() -> None:
    oauth = await memory_oauth()
    handler = AuthorizationCodeGrant(oauth.context())
    with pytest.raises(InvalidGrantError, match="unknown authorization code"):
        await _redeem(handler, web_client(), new_secret(), new_pkce().verifier)


@pytest.mark.parametrize("redirect_uri", [REDIRECT_URI + "/", "https://app.example/other", None])
async def test_a_redirect_uri_other_than_the_requests_is_refused_and_burns_nothing(
    redirect_uri: str | None,
) -> None:
    """RFC 6749 §4.1.3: redirect_uri must be identical to the authorization request's."""
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context())
    pkce = new_pkce()
    code, _ = await _code(oauth, client, pkce)
    form = {"code": code, "code_verifier": pkce.verifier}
    form |= {"redirect_uri": redirect_uri} if redirect_uri is not None else {}

    with pytest.raises(InvalidGrantError, match="redirect_uri differs"):
        await handler.exchange(client, EndpointRequest(form))

    assert (await _redeem(handler, client, code, pkce.verifier))["access_token"]


@pytest.mark.parametrize(
    ("verifier", "why"),
    [(None, "required"), ("wrong", "malformed"), ("w" * 43, "does not match")],
)
async def test_a_code_issued_with_a_challenge_needs_its_verifier(
    verifier: str | None, why: str
) -> None:
    """RFC 7636 §4.6: the verifier must transform into the challenge stored with the code."""
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context())
    pkce = new_pkce()
    code, _ = await _code(oauth, client, pkce)

    with pytest.raises(InvalidGrantError, match=why):
        await _redeem(handler, client, code, verifier)

    assert (await _redeem(handler, client, code, pkce.verifier))["access_token"]


async def test_a_code_requested_without_redirect_uri_needs_none_at_the_token_step() -> None:
    """§4.1.3: redirect_uri is required only if the authorization request included it."""
    oauth = await memory_oauth()
    client = web_client()
    pkce = new_pkce()
    code, _ = await _code(oauth, client, pkce, redirect_uri=None)
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": pkce.verifier}

    body = await AuthorizationCodeGrant(oauth.context()).exchange(client, EndpointRequest(form))

    assert body["access_token"]


async def test_a_code_issued_without_pkce_is_redeemed_without_a_verifier() -> None:
    oauth = await memory_oauth()
    client = web_client()
    code, _ = await _code(oauth, client, None)

    body = await _redeem(AuthorizationCodeGrant(oauth.context()), client, code, None)

    assert body["access_token"]


async def test_a_verifier_for_a_code_issued_without_a_challenge_is_a_downgrade() -> None:
    """RFC 9700 §2.1.1: the server must refuse a code_verifier when no challenge was sent."""
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context())
    code, _ = await _code(oauth, client, None)

    with pytest.raises(InvalidGrantError, match="issued without PKCE"):
        await _redeem(handler, client, code, new_pkce().verifier)

    assert (await _redeem(handler, client, code, None))["access_token"]


async def test_an_expired_code_is_refused() -> None:
    """RFC 6749 §4.1.2: the code is short-lived."""
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context())
    pkce = new_pkce()
    code, _ = await _code(oauth, client, pkce)
    oauth.clock.advance(60)

    with pytest.raises(InvalidGrantError, match="expired"):
        await _redeem(handler, client, code, pkce.verifier)


async def test_a_code_of_a_user_who_was_disabled_since_gives_nothing() -> None:
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context())
    pkce = new_pkce()
    code, _ = await _code(oauth, client, pkce)
    del oauth.users.names[1]

    with pytest.raises(InvalidGrantError, match="no longer active"):
        await _redeem(handler, client, code, pkce.verifier)


async def test_an_openid_code_also_gives_an_id_token_bound_to_the_access_token() -> None:
    """OIDC Core §3.1.3.3: the token response carries the ID token, with nonce and at_hash."""
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context(id_tokens=oauth.id_tokens()))
    pkce = new_pkce()
    auth = AuthContext.at(oauth.clock(), sid="s-1", nonce="n-0S6")
    code, _ = await _code(
        oauth, client, pkce, scopes=SCOPES | {"openid"}, oidc=auth.to_json(), nonce="n-0S6"
    )

    body = await _redeem(handler, client, code, pkce.verifier)

    claims = segment_json(body["id_token"], 1)
    assert (claims["sub"], claims["aud"], claims["nonce"]) == ("1", "web", "n-0S6")
    assert claims["sid"] == "s-1"
    assert claims["at_hash"] == half_hash(body["access_token"], "ES256")


async def test_a_code_without_the_openid_scope_gives_no_id_token() -> None:
    oauth = await memory_oauth()
    client = web_client()
    handler = AuthorizationCodeGrant(oauth.context(id_tokens=oauth.id_tokens()))
    pkce = new_pkce()
    auth = AuthContext.at(oauth.clock())
    code, _ = await _code(oauth, client, pkce, oidc=auth.to_json())

    assert "id_token" not in await _redeem(handler, client, code, pkce.verifier)
