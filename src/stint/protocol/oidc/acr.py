"""The Authentication Context Class Reference an approval states (OIDC Core §2 ``acr``)."""

from __future__ import annotations

from collections.abc import Iterable

from stint.protocol.authorize.request import AuthorizationRequest
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.oidc.discovery import ACR_VALUES

__all__ = ["PASSWORD_ACR", "stated_acr", "stated_acr_for"]

PASSWORD_ACR = ACR_VALUES[0]  # the one level Stint's sign-in provides: every sign-in is a password


def stated_acr(auth: AuthorizationRequest, session_acr: str = "") -> str:
    """The acr the session recorded; else the password level when the client asked for it, by
    ``acr_values`` (§3.1.2.1) or the ``acr`` claim (§5.5.1.1, by name alone: any value will do);
    else none, rather than a level the client did not ask for."""
    return stated_acr_for(auth.acr_values, auth.claims, session_acr)


def stated_acr_for(acr_values: Iterable[str], claims: ClaimsRequest, session_acr: str = "") -> str:
    """``stated_acr`` for any request that asks by ``acr_values`` and ``claims`` (CIBA §7.1 too)."""
    if session_acr:
        return session_acr
    requested = {*acr_values, *claims.requested_acr_values()}
    named = "acr" in claims.id_token
    return PASSWORD_ACR if PASSWORD_ACR in requested or (named and not requested) else ""
