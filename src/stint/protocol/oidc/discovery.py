"""OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3), on top of RFC 8414's.

Every value is derived from what this deployment actually has enabled, so the document never
advertises what a request would then refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stint.protocol.authorize.response_types import RESPONSE_MODES, enabled_response_types
from stint.protocol.clients import GRANT_TYPES
from stint.protocol.oidc.claims import OIDC_SCOPES, SUPPORTED_CLAIMS
from stint.protocol.oidc.jwe import (
    CONTENT_ENCRYPTIONS,
    KEY_ALGORITHMS,
    SYMMETRIC_KEY_ALGORITHMS,
)

__all__ = ["ACR_VALUES", "openid_configuration"]

# The levels of stint.protocol.oidc.acr, weakest first: a password; a password and a second factor.
ACR_VALUES = ("urn:stint:acr:password", "urn:stint:acr:2fa")
# Symmetric JWE keys derive from the client secret, which Stint keeps only as a hash.
_ENCRYPTION_ALGS = [a for a in KEY_ALGORITHMS if a not in SYMMETRIC_KEY_ALGORITHMS]


def openid_configuration(
    oauth_metadata: dict[str, Any],
    *,
    signing_algs: Iterable[str],
    implicit_enabled: bool,
    grant_types: frozenset[str] = GRANT_TYPES,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    issuer = oauth_metadata["issuer"]
    algs = list(signing_algs)
    response_types = enabled_response_types(
        implicit_enabled=implicit_enabled, grant_types=grant_types
    )
    # RFC 7591 §2.1: id_token, which needs no access token in the front channel, is implicit.
    supported_grants = sorted(set(oauth_metadata["grant_types_supported"]) | {"implicit"})
    document = {
        **oauth_metadata,
        "userinfo_endpoint": f"{issuer}/o/userinfo/",
        "jwks_uri": f"{issuer}/o/.well-known/jwks.json",
        "scopes_supported": sorted(set(oauth_metadata["scopes_supported"]) | OIDC_SCOPES),
        "response_types_supported": response_types,
        "grant_types_supported": supported_grants,
        "response_modes_supported": list(RESPONSE_MODES),
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "id_token_encryption_alg_values_supported": _ENCRYPTION_ALGS,
        "id_token_encryption_enc_values_supported": list(CONTENT_ENCRYPTIONS),
        "userinfo_signing_alg_values_supported": algs,
        "userinfo_encryption_alg_values_supported": _ENCRYPTION_ALGS,
        "userinfo_encryption_enc_values_supported": list(CONTENT_ENCRYPTIONS),
        "acr_values_supported": list(ACR_VALUES),
        "claims_supported": list(SUPPORTED_CLAIMS),
        "claims_parameter_supported": True,
        "claim_types_supported": ["normal"],
        "ui_locales_supported": ["en"],
        "claims_locales_supported": ["en"],
        "display_values_supported": ["page"],
        "frontchannel_logout_supported": False,
    }
    if extra:
        document |= extra
    return document
