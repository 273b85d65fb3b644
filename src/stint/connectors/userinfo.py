"""Merging the userinfo endpoint's claims with the ID token's (OpenID Connect Core §5.3)."""

from __future__ import annotations

from typing import Any

from stint.connectors.exceptions import AuthFailed
from stint.protocol.texts import N_, Text

__all__ = ["merge_userinfo"]


def merge_userinfo(
    id_claims: dict[str, Any], userinfo: dict[str, Any], backend: Any
) -> dict[str, Any]:
    """Userinfo's claims where the ID token has none: the signed token wins (``sub``, ``tid``,
    ``oid``, ``email`` ...). AuthFailed if userinfo is about someone else."""
    if not userinfo:
        return dict(id_claims)
    # §5.3.2: the sub in the userinfo answer MUST equal the ID token's, else it is not used.
    if userinfo.get("sub") != id_claims.get("sub"):
        raise AuthFailed(backend, Text(N_("The provider's userinfo answer is for another person.")))
    merged = {**userinfo, **id_claims}
    if (
        "email" in id_claims
        and "email_verified" not in id_claims
        and userinfo.get("email") != id_claims["email"]
    ):
        # Userinfo vouched for another address: nothing vouches for the ID token's.
        merged.pop("email_verified", None)
    return merged
