"""The authorization response (RFC 6749 §4.1.2, §4.2.2; OIDC Core §3.2.2.5, §3.3.2.5; RFC 9207)
against in-memory stores: what goes back, where, and what is stored for the token step."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.protocol.authorize.request import AuthorizationRequest, RedirectTarget
from stint.protocol.authorize.response import (
    Authentication,
    AuthorizationResponder,
    redirect_url,
)
from stint.protocol.errors import InvalidScopeError
from stint.protocol.grants.authorization_code import AuthorizationCodeGrant
from stint.protocol.jws import segment_json
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.id_token import half_hash
from stint.protocol.tokens import Subject
from tests.http.oauth.flow import new_pkce
from tests.support.oauth_memory import ISSUER, MemoryOAuth, memory_oauth, web_client

pytestmark = pytest.mark.anyio

CB = "https://app.example/callback"
ALICE = Subject(1, "alice")
PKCE = new_pkce()
CLIENT = replace(web_client(), grant_types=frozenset({"authorization_code", "implicit"}))


class SessionClients:
    def __init__(self) -> None:
        self.added: list[tuple[str, str, int]] = []

    async def add(self, sid: str, client_id: str, user_id: int) -> None:
        self.added.append((sid, client_id, user_id))

    async def clients(self, sid: str) -> list[str]:
        return [c for s, c, _ in self.added if s == sid]

    async def remove_session(self, sid: str) -> None:
        self.added = [a for a in self.added if a[0] != sid]


def _request(
    response_type: str = "code",
    scopes: frozenset[str] = frozenset({"activities:read"}),
    *,
    mode: str = "query",
    state: str | None = "xyz",
    nonce: str | None = None,
) -> AuthorizationRequest:
    return AuthorizationRequest(
        client=CLIENT,
        target=RedirectTarget(CB, mode, state),
        redirect_uri_param=CB,
        response_type=response_type,
        scopes=scopes,
        code_challenge=PKCE.challenge,
        code_challenge_method="S256",
        nonce=nonce,
    )


def _responder(oauth: MemoryOAuth, *, oidc: bool = True) -> AuthorizationResponder:
    id_tokens = oauth.id_tokens() if oidc else None
    return AuthorizationResponder(oauth.codes, oauth.tokens, ISSUER, id_tokens, SessionClients())


def _signed_in(oauth: MemoryOAuth, sid: str = "") -> Authentication:
    return Authentication(auth_time=oauth.clock() - timedelta(minutes=5), sid=sid)


async def test_an_approved_code_request_sends_a_code_the_client_can_redeem_once() -> None:
    """§4.1.2: code and state; RFC 9207 §2: iss. The code is stored only as its hash."""
    oauth = await memory_oauth()

    reply = await _responder(oauth).approve(_request(), ALICE, _signed_in(oauth))

    assert reply.target.mode == "query"
    assert set(reply.params) == {"code", "state", "iss"}
    assert (reply.params["state"], reply.params["iss"]) == ("xyz", ISSUER)
    [stored] = oauth.codes.codes.values()
    assert stored.code_hash == oauth.hasher.hash(reply.params["code"])
    assert stored.expires_at == oauth.clock() + timedelta(seconds=60)  # §4.1.2: short-lived
    assert (stored.redirect_uri, stored.code_challenge) == (CB, PKCE.challenge)
    form = {"code": reply.params["code"], "redirect_uri": CB, "code_verifier": PKCE.verifier}
    body = await AuthorizationCodeGrant(oauth.context()).exchange(CLIENT, EndpointRequest(form))
    assert body["scope"] == "activities:read"


async def test_the_state_is_left_out_when_the_client_sent_none() -> None:
    """§4.1.2: state is REQUIRED only if it was present in the request."""
    oauth = await memory_oauth()
    reply = await _responder(oauth).approve(_request(state=None), ALICE, _signed_in(oauth))
    assert "state" not in reply.params


async def test_only_a_signed_in_user_can_approve() -> None:
    oauth = await memory_oauth()
    with pytest.raises(ValueError, match="signed-in user"):
        await _responder(oauth).approve(_request(), Subject(None), _signed_in(oauth))


async def test_an_approved_token_request_sends_the_access_token_in_the_fragment() -> None:
    """§4.2.2: access_token, token_type, expires_in and scope, and no code."""
    oauth = await memory_oauth()
    request = _request("token", mode="fragment")

    reply = await _responder(oauth).approve(request, ALICE, _signed_in(oauth))

    assert reply.url.startswith(f"{CB}#")
    sent = {k: v for k, [v] in parse_qs(urlsplit(reply.url).fragment).items()}
    assert sent == reply.params
    assert (sent["token_type"], sent["expires_in"], sent["scope"]) == (
        "Bearer",
        "600",
        "activities:read",
    )
    claims = await oauth.verifier().verify(sent["access_token"])
    [grant] = oauth.grants.grants.values()
    assert (claims.subject, claims.grant_id) == ("1", grant.id)
    assert oauth.codes.codes == {}


async def test_a_lone_id_token_carries_the_scopes_claims_and_the_state_hash() -> None:
    """OIDC Core §5.4: with no access token for UserInfo, the scope's claims go in the ID token;
    FAPI 1.0 Advanced §5.2.2.1: s_hash."""
    oauth = await memory_oauth()
    request = _request("id_token", frozenset({"openid", "profile"}), mode="fragment", nonce="n-1")

    reply = await _responder(oauth).approve(request, ALICE, _signed_in(oauth))

    assert set(reply.params) == {"id_token", "state", "iss"}
    claims = segment_json(reply.params["id_token"], 1)
    assert (claims["nonce"], claims["name"]) == ("n-1", "User 1")
    assert claims["s_hash"] == half_hash("xyz", "ES256")


async def test_a_hybrid_id_token_binds_the_code_and_the_access_token_and_omits_claims() -> None:
    """OIDC Core §3.3.2.11: c_hash and at_hash; the profile claims come from UserInfo."""
    oauth = await memory_oauth()
    request = _request("code id_token token", frozenset({"openid", "profile"}), nonce="n-1")

    reply = await _responder(oauth).approve(request, ALICE, _signed_in(oauth))

    claims = segment_json(reply.params["id_token"], 1)
    assert claims["c_hash"] == half_hash(reply.params["code"], "ES256")
    assert claims["at_hash"] == half_hash(reply.params["access_token"], "ES256")
    assert "name" not in claims


async def test_an_openid_approval_keeps_the_sign_in_with_the_grant_and_the_code() -> None:
    """OIDC Core §12.2: later ID tokens of the grant repeat auth_time; the nonce goes to the
    token step's ID token."""
    oauth = await memory_oauth()
    authn = _signed_in(oauth, sid="s-1")

    await _responder(oauth).approve(
        _request(scopes=frozenset({"openid"}), nonce="n-1"), ALICE, authn
    )

    [grant] = oauth.grants.grants.values()
    [code] = oauth.codes.codes.values()
    assert grant.oidc is not None
    assert grant.oidc == code.oidc
    assert (grant.oidc["auth_time"], grant.oidc["sid"]) == (int(authn.auth_time.timestamp()), "s-1")
    assert code.nonce == "n-1"


async def test_an_openid_approval_in_a_session_records_the_client_for_logout() -> None:
    """Back-Channel Logout §2.1 / Front-Channel Logout §3: the session's clients are told."""
    oauth = await memory_oauth()
    sessions = SessionClients()
    responder = AuthorizationResponder(
        oauth.codes, oauth.tokens, ISSUER, oauth.id_tokens(), sessions
    )

    await responder.approve(_request(scopes=frozenset({"openid"})), ALICE, _signed_in(oauth, "s-1"))
    await responder.approve(_request(), ALICE, _signed_in(oauth, "s-1"))  # not OpenID
    await responder.approve(_request(scopes=frozenset({"openid"})), ALICE, _signed_in(oauth))

    assert sessions.added == [("s-1", "web", 1)]


async def test_an_oauth_only_deployment_keeps_no_sign_in_and_sends_no_id_token() -> None:
    oauth = await memory_oauth()
    request = _request("code id_token", frozenset({"openid"}), nonce="n")

    reply = await _responder(oauth, oidc=False).approve(request, ALICE, _signed_in(oauth))

    assert "id_token" not in reply.params
    [grant] = oauth.grants.grants.values()
    assert grant.oidc is None


async def test_a_denial_is_access_denied_with_the_state_and_the_issuer() -> None:
    """§4.1.2.1: access_denied, state as sent; RFC 9207 §2: iss on error responses too."""
    oauth = await memory_oauth()

    reply = _responder(oauth).deny(_request())

    assert reply.params == {
        "error": "access_denied",
        "error_description": "the user denied the request",
        "state": "xyz",
        "iss": ISSUER,
    }
    assert oauth.grants.grants == {}


async def test_an_oauth_error_is_sent_with_its_code_and_description() -> None:
    oauth = await memory_oauth()
    target = RedirectTarget(CB, "fragment", None)
    responder = _responder(oauth)

    described = responder.error_for(target, InvalidScopeError("not allowed: x"))
    bare = responder.error_for(target, InvalidScopeError())

    assert described.params["error_description"] == "not allowed: x"
    assert bare.params == {
        "error": "invalid_scope",
        "error_description": "invalid_scope",
        "iss": ISSUER,
    }
    assert described.url.startswith(f"{CB}#error=invalid_scope&")


def test_the_response_joins_a_query_the_redirect_uri_already_has() -> None:
    """§3.1.2: the endpoint URI MAY include a query component, which MUST be retained."""
    target = RedirectTarget(f"{CB}?tenant=7", "query", None)
    assert redirect_url(target, {"code": "a b"}) == f"{CB}?tenant=7&code=a+b"
    assert redirect_url(replace(target, uri=CB), {"code": "c"}) == f"{CB}?code=c"
