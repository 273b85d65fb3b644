"""Authorization server metadata (RFC 8414 §2): what the deployment supports, said truthfully."""

from __future__ import annotations

from stint.protocol.endpoints.metadata import authorization_server_metadata
from stint.protocol.scopes import API_SCOPES

ISSUER = "https://stint.example"


def _metadata(**changes: object) -> dict[str, object]:
    options: dict[str, object] = {
        "grant_types": ["refresh_token", "authorization_code"],
        "implicit_enabled": False,
        "plain_pkce": False,
    } | changes
    return authorization_server_metadata(ISSUER, **options)  # type: ignore[arg-type]


def test_the_endpoints_are_under_the_issuer() -> None:
    """§2: issuer, and the endpoints of RFC 6749, RFC 7009 and RFC 7662."""
    metadata = _metadata()
    assert metadata["issuer"] == ISSUER
    assert metadata["authorization_endpoint"] == f"{ISSUER}/o/authorize/"
    assert metadata["token_endpoint"] == f"{ISSUER}/o/token/"
    assert metadata["revocation_endpoint"] == f"{ISSUER}/o/revoke_token/"
    assert metadata["introspection_endpoint"] == f"{ISSUER}/o/introspect/"
    assert metadata["service_documentation"] == f"{ISSUER}/api/docs"


def test_only_the_enabled_grants_are_listed() -> None:
    metadata = _metadata(grant_types=["refresh_token", "authorization_code"])
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]


def test_front_channel_access_tokens_are_listed_only_when_enabled() -> None:
    """RFC 9700 §2.1.2: the token response type and the implicit grant are off by default."""
    assert _metadata()["response_types_supported"] == ["code"]
    enabled = _metadata(implicit_enabled=True)
    assert enabled["response_types_supported"] == ["code", "token"]
    assert enabled["grant_types_supported"] == ["authorization_code", "implicit", "refresh_token"]


def test_plain_pkce_is_listed_only_when_allowed() -> None:
    """RFC 7636 §4.2; RFC 9700 §2.1.1: S256 by default."""
    assert _metadata()["code_challenge_methods_supported"] == ["S256"]
    assert _metadata(plain_pkce=True)["code_challenge_methods_supported"] == ["S256", "plain"]


def test_public_clients_may_revoke_but_not_introspect() -> None:
    """RFC 7009 §2.1 lets a public client revoke its tokens; introspection needs a secret."""
    metadata = _metadata()
    methods = ["client_secret_basic", "client_secret_post", "none"]
    assert metadata["token_endpoint_auth_methods_supported"] == methods
    assert metadata["revocation_endpoint_auth_methods_supported"] == methods
    assert metadata["introspection_endpoint_auth_methods_supported"] == methods[:2]


def test_the_api_scopes_and_the_iss_parameter_are_announced() -> None:
    """RFC 9207 §3: authorization_response_iss_parameter_supported."""
    metadata = _metadata()
    assert metadata["scopes_supported"] == sorted(API_SCOPES)
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["response_modes_supported"] == ["query", "fragment"]
