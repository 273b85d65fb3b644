"""OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3) on top of RFC 8414's: derived
from what the deployment enabled, so it never advertises what a request would refuse."""

from __future__ import annotations

from typing import Any

from stint.protocol.oidc.discovery import ACR_VALUES, openid_configuration
from stint.protocol.oidc.jwe import SYMMETRIC_KEY_ALGORITHMS
from stint.protocol.scopes import API_SCOPES

ISSUER = "https://stint.example"


# RFC 8414 metadata as the features' entries merge into it (what discovery builds on).
OAUTH_METADATA: dict[str, Any] = {
    "issuer": ISSUER,
    "token_endpoint": f"{ISSUER}/o/token/",
    "scopes_supported": sorted(API_SCOPES),
    "grant_types_supported": ["authorization_code", "refresh_token"],
}


def _document(*, implicit_enabled: bool = False, **options: Any) -> dict[str, Any]:
    algs = options.pop("signing_algs", ["ES256", "RS256"])
    return openid_configuration(
        OAUTH_METADATA, signing_algs=algs, implicit_enabled=implicit_enabled, **options
    )


def test_the_oauth_metadata_is_kept_and_the_openid_endpoints_added() -> None:
    """§3: userinfo_endpoint and jwks_uri, under the same issuer."""
    document = _document()
    assert document["issuer"] == ISSUER
    assert document["token_endpoint"] == f"{ISSUER}/o/token/"
    assert document["userinfo_endpoint"] == f"{ISSUER}/o/userinfo/"
    assert document["jwks_uri"] == f"{ISSUER}/o/.well-known/jwks.json"


def test_the_openid_scopes_join_the_api_scopes() -> None:
    scopes = _document()["scopes_supported"]
    assert {"openid", "profile", "email", "activities:read"} <= set(scopes)
    assert scopes == sorted(scopes)


def test_only_front_channel_types_without_access_tokens_are_listed_by_default() -> None:
    """RFC 9700 §2.1.2: response types that return an access token need the operator's say."""
    assert _document()["response_types_supported"] == ["code", "id_token", "code id_token"]
    enabled = _document(implicit_enabled=True)["response_types_supported"]
    assert {"token", "id_token token", "code token", "code id_token token"} <= set(enabled)


def test_implicit_is_listed_because_a_lone_id_token_needs_it() -> None:
    """RFC 7591 §2.1: response_type id_token corresponds to the implicit grant type."""
    grants = _document()["grant_types_supported"]
    assert grants == ["authorization_code", "implicit", "refresh_token"]


def test_the_signing_algorithms_are_the_key_rings() -> None:
    document = _document(signing_algs=["ES256"])
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert document["userinfo_signing_alg_values_supported"] == ["ES256"]


def test_no_symmetric_encryption_is_offered() -> None:
    """Symmetric JWE keys derive from the client secret, which Stint keeps only as a hash."""
    algs = _document()["id_token_encryption_alg_values_supported"]
    assert algs
    assert not set(algs) & set(SYMMETRIC_KEY_ALGORITHMS)


def test_the_acr_and_claims_support_is_announced() -> None:
    document = _document()
    assert document["acr_values_supported"] == list(ACR_VALUES)
    assert "sub" in document["claims_supported"]
    assert document["claims_parameter_supported"] is True
    assert document["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert document["frontchannel_logout_supported"] is False


def test_features_add_their_own_entries() -> None:
    """Logout, registration and request objects announce themselves through ``extra``."""
    document = _document(extra={"end_session_endpoint": f"{ISSUER}/o/logout/"})
    assert document["end_session_endpoint"] == f"{ISSUER}/o/logout/"
    assert "end_session_endpoint" not in _document()
