"""The authorization response (RFC 6749 §4.1.2, §4.2.2; OIDC Core §3.2.2.5, §3.3.2.5; RFC 9207)
against in-memory stores: what goes back, where, and what is stored for the token step. What an
approval creates is made first and stored once, whole, so a failure leaves no consent or grant
without its code."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.protocol.authorize import AuthorizePolicy, validate
from stint.protocol.authorize.request import AuthorizationRequest, RedirectTarget
from stint.protocol.authorize.response import (
    Authentication,
    AuthorizationResponder,
    redirect_url,
)
from stint.protocol.consent import Consent
from stint.protocol.errors import InvalidScopeError
from stint.protocol.grants.authorization_code import AuthorizationCodeGrant
from stint.protocol.jws import segment_json
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.id_token import half_hash
from stint.protocol.ports import Approval
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import (
    ISSUER,
    MemoryApprovals,
    MemoryClients,
    MemoryOAuth,
    memory_oauth,
    web_client,
)
from tests.support.pkce import new_pkce

pytestmark = pytest.mark.anyio

CB = "https://app.example/callback"
ALICE = Subject(1, "alice")
PKCE = new_pkce()
CLIENT = replace(web_client(), grant_types=frozenset({"authorization_code", "implicit"}))


class StoringApprovals:
    """Approvals kept whole, and applied to the in-memory stores so the code can be redeemed."""

    def __init__(self, oauth: MemoryOAuth) -> None:
        self.approvals: list[Approval] = []
        self._oauth = oauth

    async def record(self, approval: Approval) -> None:
        self.approvals.append(approval)
        await self._oauth.grants.add(approval.grant)
        if approval.code is not None:
            await self._oauth.codes.add(approval.code)
        if approval.opaque_token is not None:
            await self._oauth.opaque_tokens.add(approval.opaque_token)

    @property
    def sids(self) -> list[str | None]:
        return [a.sid for a in self.approvals]


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
    return AuthorizationResponder(StoringApprovals(oauth), oauth.tokens, ISSUER, id_tokens)


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
    approvals = StoringApprovals(oauth)
    responder = AuthorizationResponder(approvals, oauth.tokens, ISSUER, oauth.id_tokens())

    await responder.approve(_request(scopes=frozenset({"openid"})), ALICE, _signed_in(oauth, "s-1"))
    await responder.approve(_request(), ALICE, _signed_in(oauth, "s-1"))  # not OpenID
    await responder.approve(_request(scopes=frozenset({"openid"})), ALICE, _signed_in(oauth))

    assert approvals.sids == ["s-1", None, None]


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


PARAMS = {
    "response_type": "code",
    "client_id": "web",
    "redirect_uri": CB,
    "scope": "activities:read",
    "state": "s1",
}
SIGNED_IN = Authentication(auth_time=datetime(2026, 12, 1, 8, 0, tzinfo=UTC), sid="sid-1")


async def test_an_approval_is_stored_once_with_its_consent_grant_and_code() -> None:
    oauth = await memory_oauth()
    approvals = MemoryApprovals()
    responder = AuthorizationResponder(approvals, oauth.tokens, "https://as.example")
    request = await validate(
        PARAMS, MemoryClients(web_client()), AuthorizePolicy(require_pkce=False)
    )
    consent = Consent(frozenset({"activities:read"}))
    reply = await responder.approve(request, Subject(1, "alice"), SIGNED_IN, consent=consent)

    (code,) = parse_qs(urlsplit(reply.url).query)["code"]
    (approval,) = approvals.approvals
    assert approval.consent == consent
    assert approval.grant.user_id == 1 and approval.grant.scopes == {"activities:read"}
    assert approval.code is not None and approval.code.grant_id == approval.grant.id
    assert approval.code.code_hash == oauth.hasher.hash(code)
    assert approval.sid is None  # not an OpenID request: no session for logout to reach
    assert oauth.grants.grants == {}, "nothing stored beside the one approval"


class FailingApprovals:
    async def record(self, approval: Approval) -> None:
        raise RuntimeError("the database went away")


async def test_an_approval_that_cannot_be_stored_gives_the_client_nothing() -> None:
    oauth = await memory_oauth()
    responder = AuthorizationResponder(FailingApprovals(), oauth.tokens, "https://as.example")
    request = await validate(
        PARAMS, MemoryClients(web_client()), AuthorizePolicy(require_pkce=False)
    )
    with pytest.raises(RuntimeError):
        await responder.approve(request, Subject(1, "alice"), SIGNED_IN, consent=Consent())
    assert oauth.grants.grants == {}


async def test_a_front_channel_opaque_token_is_stored_with_its_approval() -> None:
    oauth = await memory_oauth()
    approvals = MemoryApprovals()
    responder = AuthorizationResponder(approvals, oauth.tokens, "https://as.example")
    client = replace(web_client(), grant_types=frozenset({"implicit"}), opaque_access_tokens=True)
    policy = AuthorizePolicy(require_pkce=False, implicit_enabled=True)
    request = await validate({**PARAMS, "response_type": "token"}, MemoryClients(client), policy)
    reply = await responder.approve(request, Subject(1, "alice"), SIGNED_IN)

    (token,) = parse_qs(urlsplit(reply.url).fragment)["access_token"]
    (approval,) = approvals.approvals
    assert approval.code is None and approval.consent is None
    assert approval.opaque_token is not None
    assert approval.opaque_token.token_hash == oauth.hasher.hash(token)
    assert approval.opaque_token.grant_id == approval.grant.id
