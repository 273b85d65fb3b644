"""Authorization server metadata (RFC 8414 §2): what the deployment supports, said truthfully.

Each endpoint's entries come from its own function; the app merges them (tests/http/oauth/
test_metadata.py checks the whole document, issuer, scopes and documentation included).
"""

from __future__ import annotations

from typing import Any

from stint.protocol.endpoints.metadata import (
    authorization_endpoint_metadata,
    token_endpoint_metadata,
)

ISSUER = "https://stint.example"


def _token(grant_types: tuple[str, ...] = ("refresh_token", "authorization_code")) -> Any:
    return token_endpoint_metadata(ISSUER, grant_types=grant_types)


def _authorize(*, implicit_enabled: bool = False, plain_pkce: bool = False) -> Any:
    return authorization_endpoint_metadata(
        ISSUER, implicit_enabled=implicit_enabled, plain_pkce=plain_pkce
    )


def test_the_endpoints_are_under_the_issuer() -> None:
    """§2: the endpoints of RFC 6749, RFC 7009 and RFC 7662."""
    assert _authorize()["authorization_endpoint"] == f"{ISSUER}/o/authorize/"
    token = _token()
    assert token["token_endpoint"] == f"{ISSUER}/o/token/"
    assert token["revocation_endpoint"] == f"{ISSUER}/o/revoke_token/"
    assert token["introspection_endpoint"] == f"{ISSUER}/o/introspect/"


def test_only_the_enabled_grants_are_listed() -> None:
    assert _token()["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert _token(("client_credentials",))["grant_types_supported"] == ["client_credentials"]


def test_front_channel_access_tokens_are_listed_only_when_enabled() -> None:
    """RFC 9700 §2.1.2: the token response type and the implicit grant are off by default."""
    assert _authorize()["response_types_supported"] == ["code"]
    assert _authorize()["grant_types_supported"] == []
    enabled = _authorize(implicit_enabled=True)
    assert enabled["response_types_supported"] == ["code", "token"]
    assert enabled["grant_types_supported"] == ["implicit"]


def test_plain_pkce_is_listed_only_when_allowed() -> None:
    """RFC 7636 §4.2; RFC 9700 §2.1.1: S256 by default."""
    assert _authorize()["code_challenge_methods_supported"] == ["S256"]
    assert _authorize(plain_pkce=True)["code_challenge_methods_supported"] == ["S256", "plain"]


def test_public_clients_may_revoke_but_not_introspect() -> None:
    """RFC 7009 §2.1 lets a public client revoke its tokens; introspection needs a secret."""
    metadata = _token()
    methods = ["client_secret_basic", "client_secret_post", "none"]
    assert metadata["token_endpoint_auth_methods_supported"] == methods
    assert metadata["revocation_endpoint_auth_methods_supported"] == methods
    assert metadata["introspection_endpoint_auth_methods_supported"] == methods[:2]


def test_the_iss_parameter_and_response_modes_are_announced() -> None:
    """RFC 9207 §3: authorization_response_iss_parameter_supported."""
    metadata = _authorize()
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["response_modes_supported"] == ["query", "fragment"]
