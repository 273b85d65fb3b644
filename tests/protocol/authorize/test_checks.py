"""The authorization request's checks (RFC 6749 §3.1, §4.1.1; OIDC Core §3.1.2), row by row of
``CHECKS``, against an in-memory client store: what each refuses, and where the error may go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from stint.protocol.authorize import (
    AuthorizationRequest,
    AuthorizationRequestError,
    AuthorizePolicy,
    validate,
)
from stint.protocol.authorize.checks import MAX_NONCE
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidRequestError, InvalidRequestObjectError
from stint.protocol.oidc.reauthentication import MARKER_PARAM, ReauthenticationMarkers
from tests.support.clock import Clock
from tests.support.oauth_memory import MemoryClients, web_client
from tests.support.pkce import new_pkce

pytestmark = pytest.mark.anyio

CB = "https://app.example/callback"
PKCE = new_pkce()
WEB = replace(web_client("web"), grant_types=frozenset({"authorization_code"}))
NATIVE = web_client("native", public=True)
TWO_URIS = replace(WEB, client_id="two", redirect_uris=(CB, "https://app.example/other"))
HYBRID = replace(
    WEB,
    client_id="hybrid",
    grant_types=frozenset({"authorization_code", "implicit"}),
    metadata={"response_types": ["code", "code id_token", "id_token token", "code id_token token"]},
)
CLIENTS = MemoryClients(WEB, NATIVE, TWO_URIS, HYBRID)
DEFAULT = AuthorizePolicy()
IMPLICIT_ON = AuthorizePolicy(implicit_enabled=True)


def _params(**changes: str | None) -> dict[str, str]:
    """A valid code request of ``web`` with PKCE; None in ``changes`` drops a parameter."""
    base: dict[str, str | None] = {
        "client_id": "web",
        "response_type": "code",
        "redirect_uri": CB,
        "state": "xyz",
        "code_challenge": PKCE.challenge,
        "code_challenge_method": "S256",
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


async def _valid(policy: AuthorizePolicy = DEFAULT, **changes: str | None) -> AuthorizationRequest:
    return await validate(_params(**changes), CLIENTS, policy)


async def _refused(
    policy: AuthorizePolicy = DEFAULT, **changes: str | None
) -> AuthorizationRequestError:
    with pytest.raises(AuthorizationRequestError) as caught:
        await validate(_params(**changes), CLIENTS, policy)
    return caught.value


async def test_a_valid_code_request_is_settled_with_everything_the_later_steps_need() -> None:
    checked = await _valid(scope="profile", login_hint="ada", acr_values="1 2", ui_locales="fr")

    assert checked.client == WEB
    assert (checked.target.uri, checked.target.mode, checked.target.state) == (CB, "query", "xyz")
    assert (checked.redirect_uri_param, checked.response_type) == (CB, "code")
    assert checked.scopes == {"profile"}
    assert (checked.code_challenge, checked.code_challenge_method) == (PKCE.challenge, "S256")
    assert (checked.login_hint, checked.acr_values, checked.ui_locales) == (
        "ada",
        ("1", "2"),
        ("fr",),
    )


# known_client: RFC 6749 §4.1.2.1, an unidentified client is never redirected to.


@pytest.mark.parametrize("client_id", [None, "", "nobody", "w" * 201])
async def test_a_missing_or_unknown_client_is_shown_on_a_page_not_redirected(
    client_id: str | None,
) -> None:
    refused = await _refused(client_id=client_id)
    assert refused.error.error == "invalid_request"
    assert refused.target is None


async def test_an_overlong_client_id_is_not_looked_up() -> None:
    clients = MemoryClients(WEB)
    with pytest.raises(AuthorizationRequestError):
        await validate(_params(client_id="w" * 201), clients, AuthorizePolicy())
    assert clients.looked_up == []


# request_object: OIDC Core §6, RFC 9101.


class RequestObjects:
    """Request objects whose claims are the JSON-free dict given; ``refuse`` fails any."""

    def __init__(self, claims: Mapping[str, str] | None = None, *, refuse: bool = False) -> None:
        self._claims = claims or {}
        self._refuse = refuse

    async def apply(self, params: Mapping[str, str], client: Client) -> dict[str, str]:
        if self._refuse:
            raise InvalidRequestObjectError("the request object signature is invalid")
        merged = {k: v for k, v in params.items() if k != "request"}
        return merged | dict(self._claims)


async def test_a_request_object_where_none_are_supported_is_refused_on_the_page() -> None:
    """OIDC Core §6.1: request_not_supported; the redirect URI is not yet checked."""
    refused = await _refused(request="a.b.c")
    assert refused.error.error == "request_not_supported"
    assert refused.target is None


async def test_a_request_objects_parameters_take_the_place_of_the_querys() -> None:
    """RFC 9101 §6.3: the values inside the object are the ones used."""
    objects = RequestObjects({"scope": "profile", "state": "from-object"})
    params = _params(request="a.b.c", scope="activities:read")

    checked = await validate(params, CLIENTS, AuthorizePolicy(), request_objects=objects)

    assert checked.scopes == {"profile"}
    assert checked.target.state == "from-object"
    assert "request" not in checked.params


async def test_a_bad_request_object_goes_to_the_querys_redirect_uri_when_registered() -> None:
    objects = RequestObjects(refuse=True)
    with pytest.raises(AuthorizationRequestError) as caught:
        await validate(_params(request="x"), CLIENTS, AuthorizePolicy(), request_objects=objects)
    assert caught.value.error.error == "invalid_request_object"
    assert caught.value.target is not None
    assert caught.value.target.uri == CB


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"), [("web", "https://evil.example/cb"), ("two", None)]
)
async def test_a_bad_request_object_without_a_sure_redirect_uri_is_shown_on_a_page(
    client_id: str, redirect_uri: str | None
) -> None:
    objects = RequestObjects(refuse=True)
    params = _params(request="x", client_id=client_id, redirect_uri=redirect_uri)
    with pytest.raises(AuthorizationRequestError) as caught:
        await validate(params, CLIENTS, AuthorizePolicy(), request_objects=objects)
    assert caught.value.target is None


async def test_a_request_without_an_object_passes_the_object_check_untouched() -> None:
    objects = RequestObjects({"scope": "profile"})
    checked = await validate(_params(), CLIENTS, AuthorizePolicy(), request_objects=objects)
    assert checked.scopes == WEB.scopes


# registered_redirect_uri: RFC 6749 §3.1.2.3, RFC 9700 §4.1.3 (exact match).


async def test_an_omitted_redirect_uri_is_the_one_registered_uri() -> None:
    checked = await _valid(redirect_uri=None)
    assert checked.target.uri == CB
    assert checked.redirect_uri_param is None  # so the token step needs none either (§4.1.3)


async def test_an_omitted_redirect_uri_is_refused_when_several_are_registered() -> None:
    refused = await _refused(client_id="two", redirect_uri=None)
    assert "redirect_uri is required" in refused.error.description
    assert refused.target is None


@pytest.mark.parametrize("uri", [CB + "/", CB + "?x=1", CB.upper(), "https://evil.example/cb"])
async def test_a_redirect_uri_that_is_not_exactly_registered_is_never_redirected_to(
    uri: str,
) -> None:
    refused = await _refused(redirect_uri=uri)
    assert "not registered" in refused.error.description
    assert refused.target is None


async def test_errors_after_the_redirect_uri_is_settled_go_to_it_with_the_state() -> None:
    """§4.1.2.1: once the redirect URI is valid, errors are redirected to the client."""
    refused = await _refused(response_type="bogus")
    assert refused.target is not None
    assert (refused.target.uri, refused.target.mode, refused.target.state) == (CB, "query", "xyz")


async def test_an_unknown_response_mode_still_settles_where_the_error_goes() -> None:
    refused = await _refused(response_mode="carrier-pigeon")
    assert refused.error.error == "invalid_request"
    assert refused.target is not None
    assert refused.target.mode == "query"


# no_repeated_parameters: RFC 6749 §3.1.


async def test_a_repeated_parameter_is_refused() -> None:
    """§3.1: request and response parameters MUST NOT be included more than once."""
    with pytest.raises(AuthorizationRequestError) as caught:
        await validate(_params(), CLIENTS, DEFAULT, repeated=frozenset({"scope"}))
    refused = caught.value
    assert refused.error.error == "invalid_request"
    assert "repeated parameter: scope" in refused.error.description
    # Checked after the redirect URI is settled, so the error goes back to the client.
    assert refused.target is not None
    assert refused.target.uri == CB


async def test_a_repeated_parameter_of_an_unknown_client_is_never_redirected() -> None:
    with pytest.raises(AuthorizationRequestError) as caught:
        await validate(
            _params(client_id="nobody"), CLIENTS, DEFAULT, repeated=frozenset({"client_id"})
        )
    assert caught.value.target is None


# supported_response_type: RFC 6749 §3.1.1, RFC 9700 §2.1.2.


async def test_a_missing_response_type_is_malformed() -> None:
    assert (await _refused(response_type=None)).error.error == "invalid_request"


async def test_an_unknown_response_type_is_unsupported() -> None:
    assert (await _refused(response_type="code bogus")).error.error == "unsupported_response_type"


@pytest.mark.parametrize("response_type", ["token", "code token", "id_token token"])
async def test_front_channel_access_tokens_are_unsupported_unless_the_operator_enables_them(
    response_type: str,
) -> None:
    """RFC 9700 §2.1.2: the implicit grant SHOULD NOT be used."""
    refused = await _refused(client_id="hybrid", response_type=response_type, nonce="n")
    assert refused.error.error == "unsupported_response_type"


@pytest.mark.parametrize("response_type", ["code", "code id_token"])
async def test_a_response_type_whose_grant_is_switched_off_is_unsupported(
    response_type: str,
) -> None:
    """RFC 6749 §4.1.2.1: no code is issued that the token endpoint would never redeem."""
    no_code = AuthorizePolicy(grant_types=frozenset({"client_credentials", "implicit"}))
    refused = await _refused(no_code, client_id="hybrid", response_type=response_type, nonce="n")
    assert refused.error.error == "unsupported_response_type"
    assert refused.target is not None  # the client and redirect URI are known: redirected


async def test_a_response_type_needs_the_clients_grants() -> None:
    """§4.1.2.1 / §4.2.2.1: unauthorized_client."""
    refused = await _refused(IMPLICIT_ON, response_type="token")
    assert refused.error.error == "unauthorized_client"


async def test_a_response_type_outside_the_clients_registered_ones_is_refused() -> None:
    """OIDC Registration §2: response_types the client will restrict itself to, even where its
    grants would allow more."""
    refused = await _refused(IMPLICIT_ON, client_id="hybrid", response_type="token")
    assert refused.error.error == "unauthorized_client"


@pytest.mark.parametrize("grant", ["authorization_code", "implicit"])
async def test_a_registered_response_type_still_needs_every_grant_it_implies(grant: str) -> None:
    """RFC 7591 §2.1: "code id_token" needs both the code and the implicit grant."""
    lacking = replace(HYBRID, client_id="lacking", grant_types=frozenset({grant}))
    params = _params(client_id="lacking", response_type="code id_token", scope="openid")
    with pytest.raises(AuthorizationRequestError) as caught:
        await validate(params | {"nonce": "n"}, MemoryClients(lacking), DEFAULT)
    assert caught.value.error.error == "unauthorized_client"


async def test_response_type_values_in_any_order_are_the_same_response_type() -> None:
    """Multiple Response Types §5: the values are a space-delimited, unordered list."""
    checked = await _valid(
        client_id="hybrid", response_type="id_token code", scope="openid", nonce="n"
    )
    assert checked.response_type == "code id_token"
    assert checked.target.mode == "fragment"  # §5: the default for anything but a lone code


# supported_response_mode: OAuth 2.0 Multiple Response Types §2.1, Form Post Response Mode.


async def test_a_code_may_be_sent_as_a_fragment_or_a_posted_form() -> None:
    assert (await _valid(response_mode="fragment")).target.mode == "fragment"
    assert (await _valid(response_mode="form_post")).target.mode == "form_post"


async def test_tokens_never_travel_in_the_query_string() -> None:
    """Multiple Response Types §2.1: response_mode=query is refused for token-bearing types."""
    refused = await _refused(
        client_id="hybrid",
        response_type="code id_token",
        response_mode="query",
        scope="openid",
        nonce="n",
    )
    assert "cannot carry tokens" in refused.error.description


# allowed_scopes: RFC 6749 §3.3.


async def test_an_omitted_scope_is_the_clients_registered_scope() -> None:
    """§3.3: the server MUST use a default or fail; ours is what the client registered."""
    assert (await _valid()).scopes == WEB.scopes


async def test_the_openid_connect_scopes_are_open_to_every_client() -> None:
    assert (await _valid(scope="openid email profile")).scopes == {"openid", "email", "profile"}


async def test_a_scope_the_client_may_not_have_is_refused_to_the_client() -> None:
    refused = await _refused(scope="profile reports:read")
    assert refused.error.error == "invalid_scope"
    assert refused.target is not None


# openid_parameters: OIDC Core §3.1.2.1, §3.2.2.1, §3.3.2.11.


async def test_an_id_token_response_needs_the_openid_scope() -> None:
    refused = await _refused(client_id="hybrid", response_type="code id_token", nonce="n")
    assert refused.error.error == "invalid_scope"


async def test_an_id_token_from_the_authorization_endpoint_needs_a_nonce() -> None:
    """§3.2.2.1, §3.3.2.11: nonce is REQUIRED when the ID token comes from this endpoint."""
    refused = await _refused(client_id="hybrid", response_type="code id_token", scope="openid")
    assert "nonce is required" in refused.error.description


async def test_a_code_flow_needs_no_nonce() -> None:
    """§3.1.2.1: in the code flow the nonce is OPTIONAL."""
    assert (await _valid(scope="openid")).nonce is None


async def test_prompt_and_max_age_are_parsed() -> None:
    checked = await _valid(scope="openid", prompt="login consent", max_age="0")
    assert checked.prompt == {"login", "consent"}
    assert checked.max_age == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompt": "login sometimes"}, "unknown prompt value: sometimes"),
        ({"prompt": "bogus"}, "unknown prompt value: bogus"),
        ({"prompt": "none login"}, "prompt=none cannot be combined"),
        ({"prompt": "none consent"}, "prompt=none cannot be combined"),
        ({"max_age": "-1"}, "max_age must be"),
        ({"max_age": "1e3"}, "max_age must be"),
        ({"max_age": "1" * 11}, "max_age must be"),
        ({"claims": "{not json"}, "claims is not valid JSON"),
    ],
)
async def test_malformed_openid_parameters_are_refused(
    changes: dict[str, str], message: str
) -> None:
    refused = await _refused(DEFAULT, scope="openid", **changes)
    assert refused.error.error == "invalid_request"
    assert message in refused.error.description
    assert refused.target is not None


async def test_the_claims_parameter_is_parsed() -> None:
    """§5.5: individual claims requested by name."""
    checked = await _valid(scope="openid", claims='{"id_token": {"email": null}}')
    assert dict(checked.claims.id_token) == {"email": None}


class Hints:
    def __init__(self) -> None:
        self.verified: list[str] = []

    async def verify(self, token: str) -> dict[str, Any]:
        self.verified.append(token)
        if token != "good":
            raise InvalidRequestError("id_token_hint was not issued here")
        return {"sub": "1"}


async def test_an_id_token_hint_is_verified_and_its_claims_kept() -> None:
    hints = Hints()
    checked = await validate(
        _params(scope="openid", id_token_hint="good"), CLIENTS, AuthorizePolicy(), hints=hints
    )
    assert checked.id_token_hint == {"sub": "1"}


async def test_an_id_token_hint_that_fails_verification_is_refused_to_the_client() -> None:
    with pytest.raises(AuthorizationRequestError) as caught:
        await validate(
            _params(scope="openid", id_token_hint="forged"),
            CLIENTS,
            AuthorizePolicy(),
            hints=Hints(),
        )
    assert caught.value.error.error == "invalid_request"
    assert caught.value.target is not None


async def test_without_a_hint_verifier_a_hint_is_ignored() -> None:
    assert (await _valid(scope="openid", id_token_hint="anything")).id_token_hint is None


# nonce_fits: stored with the code (a varchar(512) column), echoed in ID tokens.


async def test_a_nonce_up_to_the_limit_is_kept_as_sent() -> None:
    assert (await _valid(scope="openid", nonce="n" * MAX_NONCE)).nonce == "n" * MAX_NONCE


@pytest.mark.parametrize("nonce", ["n" * (MAX_NONCE + 1), "a\x00b", "line\nbreak"])
async def test_an_overlong_nonce_or_one_with_control_characters_is_refused(nonce: str) -> None:
    refused = await _refused(scope="openid", nonce=nonce)
    assert "nonce must be at most" in refused.error.description


# proof_key: RFC 7636 §4.4.1, RFC 9700 §2.1.1.


async def test_a_public_client_must_send_a_code_challenge() -> None:
    """RFC 9700 §2.1.1: public clients MUST use PKCE."""
    refused = await _refused(
        AuthorizePolicy(require_pkce=False),
        client_id="native",
        code_challenge=None,
        code_challenge_method=None,
    )
    assert "code_challenge is required" in refused.error.description


async def test_by_default_a_confidential_client_must_send_one_too() -> None:
    refused = await _refused(code_challenge=None, code_challenge_method=None)
    assert "code_challenge is required" in refused.error.description


async def test_a_confidential_openid_client_may_rely_on_the_nonce_instead() -> None:
    """RFC 9700 §2.1.1: a confidential OpenID Connect client may use the nonce instead of PKCE."""
    checked = await _valid(
        scope="openid", nonce="n", code_challenge=None, code_challenge_method=None
    )
    assert (checked.code_challenge, checked.code_challenge_method) == (None, None)


async def test_the_nonce_does_not_replace_pkce_for_a_public_client() -> None:
    refused = await _refused(
        client_id="native",
        scope="openid",
        nonce="n",
        code_challenge=None,
        code_challenge_method=None,
    )
    assert "code_challenge is required" in refused.error.description


async def test_an_operator_may_let_confidential_clients_skip_pkce() -> None:
    checked = await _valid(
        AuthorizePolicy(require_pkce=False), code_challenge=None, code_challenge_method=None
    )
    assert checked.code_challenge is None


async def test_a_plain_challenge_is_refused_unless_the_operator_allows_it() -> None:
    """RFC 7636 §4.2, §7.2: plain only where S256 cannot be used; RFC 9700 §2.1.1."""
    verifier = "v" * 43
    refused = await _refused(code_challenge=verifier, code_challenge_method="plain")
    assert "must be S256" in refused.error.description
    allowed = await _valid(
        AuthorizePolicy(allow_plain_pkce=True), code_challenge=verifier, code_challenge_method=None
    )
    assert allowed.code_challenge_method == "plain"  # §4.3: plain is the default method


async def test_a_response_without_a_code_needs_no_challenge() -> None:
    checked = await _valid(
        IMPLICIT_ON,
        client_id="hybrid",
        response_type="id_token token",
        scope="openid",
        nonce="n",
        code_challenge=None,
        code_challenge_method=None,
    )
    assert checked.code_challenge_method is None


# reauthentication_marker: OIDC Core §3.1.2.1 prompt=login and max_age across the sign-in page.


async def test_a_verified_marker_says_when_the_request_was_sent_to_sign_in() -> None:
    sent = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    markers = ReauthenticationMarkers(b"k" * 32, clock=Clock(sent))
    params = _params(prompt="login")
    params[MARKER_PARAM] = markers.issue(params)

    checked = await validate(params, CLIENTS, AuthorizePolicy(), markers=markers)

    assert checked.authenticated_after == sent


async def test_without_markers_nothing_is_taken_as_a_fresh_sign_in() -> None:
    forged = {MARKER_PARAM: "1.forged"}
    assert (await _valid(DEFAULT, prompt="login", **forged)).authenticated_after is None
