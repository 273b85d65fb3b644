"""Merging the userinfo endpoint's claims into the ID token's (OpenID Connect Core §5.3)."""

from __future__ import annotations

from typing import Any

from stint.connectors.exceptions import AuthFailed

__all__ = ["merge_userinfo"]


def merge_userinfo(
    id_claims: dict[str, Any], userinfo: dict[str, Any], backend: Any
) -> dict[str, Any]:
    """The ID token's claims, updated by userinfo's; AuthFailed if userinfo is someone else."""
    if not userinfo:
        return dict(id_claims)
    # §5.3.2: the sub in the userinfo answer MUST equal the ID token's, else it is not used.
    if userinfo.get("sub") != id_claims.get("sub"):
        raise AuthFailed(backend, "The provider's userinfo answer is for another person.")
    merged = {**id_claims, **userinfo}
    if (
        "email" in userinfo
        and userinfo["email"] != id_claims.get("email")
        and "email_verified" not in userinfo
    ):
        # The ID token vouched for another address: nothing vouches for this one.
        merged.pop("email_verified", None)
    return merged
