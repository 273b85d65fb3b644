"""Authorization server metadata (RFC 8414 §2): what this deployment supports, said truthfully.

Each endpoint's entries come from the feature that serves it; the app merges them into one
document (``issuer`` first), so a disabled feature is absent from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stint.protocol.authorize.response_types import enabled_response_types
from stint.protocol.clients import GRANT_TYPES

__all__ = ["AUTH_METHODS", "authorization_endpoint_metadata", "token_endpoint_metadata"]

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def token_endpoint_metadata(issuer: str, *, grant_types: Iterable[str]) -> dict[str, Any]:
    """The token, revocation (RFC 7009) and introspection (RFC 7662) endpoints' entries."""
    return {
        "token_endpoint": f"{issuer}/o/token/",
        "revocation_endpoint": f"{issuer}/o/revoke_token/",
        "introspection_endpoint": f"{issuer}/o/introspect/",
        "grant_types_supported": sorted(grant_types),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        # Public clients may not introspect.
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS[:2]),
    }


def authorization_endpoint_metadata(
    issuer: str,
    *,
    implicit_enabled: bool,
    plain_pkce: bool,
    grant_types: frozenset[str] = GRANT_TYPES,
) -> dict[str, Any]:
    """The authorization endpoint's entries (RFC 6749 §3.1, RFC 7636, RFC 9207)."""
    enabled = enabled_response_types(implicit_enabled=implicit_enabled, grant_types=grant_types)
    return {
        "authorization_endpoint": f"{issuer}/o/authorize/",
        # RFC 6749's own response types; OpenID Connect's are added by discovery.
        "response_types_supported": [rt for rt in ("code", "token") if rt in enabled],
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": ["implicit"] if implicit_enabled else [],
        "code_challenge_methods_supported": ["S256", "plain"] if plain_pkce else ["S256"],
        # RFC 9207: the iss parameter accompanies every authorization response.
        "authorization_response_iss_parameter_supported": True,
    }
