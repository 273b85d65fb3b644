"""Authorization server metadata (RFC 8414 §2): what this deployment supports, said truthfully."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stint.protocol.scopes import API_SCOPES

__all__ = ["authorization_server_metadata"]


def authorization_server_metadata(
    issuer: str, *, grant_types: Iterable[str], implicit_enabled: bool, plain_pkce: bool
) -> dict[str, Any]:
    response_types = ["code", "token"] if implicit_enabled else ["code"]
    grants = sorted(set(grant_types) | ({"implicit"} if implicit_enabled else set()))
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/o/authorize/",
        "token_endpoint": f"{issuer}/o/token/",
        "revocation_endpoint": f"{issuer}/o/revoke_token/",
        "introspection_endpoint": f"{issuer}/o/introspect/",
        "scopes_supported": sorted(API_SCOPES),
        "response_types_supported": response_types,
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": grants,
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods[:2],
        "code_challenge_methods_supported": ["S256", "plain"] if plain_pkce else ["S256"],
        # RFC 9207: the iss parameter accompanies every authorization response.
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{issuer}/api/docs",
    }
