"""The Authentication Context Class Reference an approval states (OIDC Core §2 ``acr``), and
what a request's ``acr_values`` / ``claims`` demand of the sign-in (step-up to a second factor).

Two levels, weakest first (discovery's ``acr_values_supported``): ``urn:stint:acr:password``, a
password alone (or an upstream sign-in); ``urn:stint:acr:2fa``, a password and a second factor
(TOTP, a passkey). No registry defines interoperable acr values for these (OIDC Core §2 leaves
them to the deployment; RFC 8176 registers ``amr`` methods, not levels), so both are URNs of
Stint's own, named alike; ``amr`` says which methods were used.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from stint.protocol.authorize.request import AuthorizationRequest
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.oidc.discovery import ACR_VALUES

__all__ = [
    "MFA_AMR",
    "PASSWORD_ACR",
    "TWO_FACTOR_ACR",
    "SecondFactorDemand",
    "reaches",
    "second_factor_demand",
    "second_factor_demand_for",
    "stated_acr",
    "stated_acr_for",
    "two_factor_amr",
]

PASSWORD_ACR, TWO_FACTOR_ACR = ACR_VALUES
_LEVEL = {value: rank for rank, value in enumerate(ACR_VALUES, start=1)}
MFA_AMR = "mfa"  # RFC 8176 §2: "multiple-factor authentication", beside the methods used


class SecondFactorDemand(Enum):
    NONE = "none"  # the request does not ask for two factors
    PREFERRED = "preferred"  # asks (acr_values are voluntary, OIDC Core §3.1.2.1): step up if able
    ESSENTIAL = "essential"  # demands (an essential acr claim, §5.5.1.1): else the request fails


def reaches(session_acr: str, wanted: str) -> bool:
    """Whether a sign-in at ``session_acr`` meets the level ``wanted`` (or a stronger one)."""
    return _LEVEL.get(session_acr, 0) >= _LEVEL.get(wanted, len(_LEVEL) + 1)


def two_factor_amr(*methods: str) -> str:
    """The session's ``amr`` after ``methods`` (e.g. ``pwd``, ``otp``): RFC 8176 §2 ``mfa`` too."""
    return " ".join(dict.fromkeys([*methods, MFA_AMR]))


def stated_acr(auth: AuthorizationRequest, session_acr: str = "") -> str:
    """The acr the session recorded; else the password level when the client asked for a level
    of ours, by ``acr_values`` (§3.1.2.1) or the ``acr`` claim (§5.5.1.1, by name alone: any
    value will do); else none, rather than a level the client did not ask for."""
    return stated_acr_for(auth.acr_values, auth.claims, session_acr)


def stated_acr_for(acr_values: Iterable[str], claims: ClaimsRequest, session_acr: str = "") -> str:
    """``stated_acr`` for any request that asks by ``acr_values`` and ``claims`` (CIBA §7.1 too)."""
    if session_acr:
        return session_acr
    requested = {*acr_values, *claims.requested_acr_values()}
    named = "acr" in claims.id_token
    # Asked for two factors and not given them (voluntary): say truthfully what was met.
    return PASSWORD_ACR if requested & set(ACR_VALUES) or (named and not requested) else ""


def second_factor_demand(auth: AuthorizationRequest) -> SecondFactorDemand:
    """What ``auth`` asks of the sign-in; the client's ``default_acr_values`` (Registration §2)
    stand in for absent ``acr_values``."""
    acr_values: Iterable[str] = auth.acr_values
    default = auth.client.meta("default_acr_values")
    if not acr_values and isinstance(default, list):
        acr_values = [v for v in default if isinstance(v, str)]
    return second_factor_demand_for(acr_values, auth.claims)


def second_factor_demand_for(
    acr_values: Iterable[str], claims: ClaimsRequest
) -> SecondFactorDemand:
    """Essential when the ``acr`` claim is essential and only two factors meet its values;
    preferred when the first level of ours named (in order of preference, §3.1.2.1) is two
    factors; else none."""
    values = claims.requested_acr_values()
    acr = claims.id_token.get("acr") or {}
    if acr.get("essential") is True and TWO_FACTOR_ACR in values and PASSWORD_ACR not in values:
        return SecondFactorDemand.ESSENTIAL
    ours = [v for v in [*acr_values, *values] if v in _LEVEL]
    if ours and ours[0] == TWO_FACTOR_ACR:
        return SecondFactorDemand.PREFERRED
    return SecondFactorDemand.NONE
