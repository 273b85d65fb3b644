"""The validated authorization request and its error (RFC 6749 §4.1.2.1)."""

from __future__ import annotations

import pytest

from stint.protocol.authorize.request import (
    AuthorizationRequest,
    AuthorizationRequestError,
    RedirectTarget,
)
from stint.protocol.consent import Consent
from stint.protocol.errors import InvalidClientError, InvalidRedirectUriError, InvalidScopeError
from stint.protocol.oidc.claims import ClaimsRequest
from tests.support.oauth_memory import web_client

TARGET = RedirectTarget("https://app.example/callback", "query", "xyz")


def _request(
    response_type: str, scopes: set[str], claims: ClaimsRequest | None = None
) -> AuthorizationRequest:
    return AuthorizationRequest(
        client=web_client(),
        target=TARGET,
        redirect_uri_param=None,
        response_type=response_type,
        scopes=frozenset(scopes),
        code_challenge=None,
        code_challenge_method=None,
        claims=claims or ClaimsRequest(),
    )


def test_an_error_the_client_may_see_keeps_its_target() -> None:
    assert AuthorizationRequestError(InvalidScopeError("no"), TARGET).target == TARGET


@pytest.mark.parametrize("error", [InvalidRedirectUriError("bad uri"), InvalidClientError("who")])
def test_an_error_about_the_client_or_its_redirect_uri_is_never_redirected(
    error: InvalidRedirectUriError | InvalidClientError,
) -> None:
    """§4.1.2.1: the server MUST NOT redirect to an invalid or unidentified client's URI."""
    refused = AuthorizationRequestError(error, TARGET)
    assert refused.target is None
    assert (refused.error, str(refused)) == (error, error.description)


def test_an_openid_request_is_one_with_the_openid_scope() -> None:
    """OIDC Core §3.1.2.1: the openid scope value makes it an OpenID Connect request."""
    assert _request("code", {"openid", "profile"}).is_openid
    assert not _request("code id_token", {"profile"}).is_openid


def test_the_response_values_are_the_types_values() -> None:
    assert _request("code id_token", set()).response_values == {"code", "id_token"}


def test_the_consent_asked_for_is_the_scopes_and_the_claims_named_beyond_them() -> None:
    """OIDC Core §5.5: claims asked for by name are agreed to one by one."""
    claims = ClaimsRequest(id_token={"email": None, "name": None})
    asked = _request("code", {"openid", "profile"}, claims=claims).asked_consent
    assert asked == Consent(frozenset({"openid", "profile"}), frozenset({"email"}))
