"""Which claims a client receives: scope values (OIDC Core §5.4) and the ``claims`` request
parameter (§5.5), for the ID token and for UserInfo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from stint.protocol.errors import InvalidRequestError
from stint.protocol.texts import N_

__all__ = [
    "CLAIM_DESCRIPTIONS",
    "OIDC_SCOPES",
    "SCOPE_CLAIMS",
    "SUPPORTED_CLAIMS",
    "USER_CLAIMS",
    "ClaimsRequest",
    "release",
    "scope_claims",
]

# §5.4: the claims each scope value asks for.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
OIDC_SCOPES = frozenset({"openid", "offline_access", *SCOPE_CLAIMS})
# What a client can learn about the user, by scope or by name, once the user agreed (§5.1).
# The claims the ID token carries anyway (sub, auth_time, acr, ...) are not among them (§2).
USER_CLAIMS = frozenset(c for names in SCOPE_CLAIMS.values() for c in names)
# How the consent page names a claim asked for by name.
CLAIM_DESCRIPTIONS = {
    "name": N_("Your full name"),
    "family_name": N_("Your family name"),
    "given_name": N_("Your given name"),
    "middle_name": N_("Your middle name"),
    "nickname": N_("Your nickname"),
    "preferred_username": N_("Your username"),
    "profile": N_("Your profile page"),
    "picture": N_("Your picture"),
    "website": N_("Your website"),
    "gender": N_("Your gender"),
    "birthdate": N_("Your birthdate"),
    "zoneinfo": N_("Your time zone"),
    "locale": N_("Your locale"),
    "updated_at": N_("When you last changed your profile"),
    "email": N_("Your email address"),
    "email_verified": N_("Whether your email address is verified"),
    "address": N_("Your postal address"),
    "phone_number": N_("Your phone number"),
    "phone_number_verified": N_("Whether your phone number is verified"),
}
SUPPORTED_CLAIMS = tuple(
    dict.fromkeys(
        ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"]
        + [c for names in SCOPE_CLAIMS.values() for c in names]
    )
)


@dataclass(frozen=True, slots=True)
class ClaimsRequest:
    """The ``claims`` parameter, parsed: per target, claim name → its request (or None)."""

    userinfo: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    id_token: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> ClaimsRequest:
        if not raw:
            return cls()
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise InvalidRequestError("claims is not valid JSON") from None
        if not isinstance(value, dict):
            raise InvalidRequestError("claims must be a JSON object")
        return cls(
            userinfo=_members(value.get("userinfo"), "userinfo"),
            id_token=_members(value.get("id_token"), "id_token"),
        )

    @property
    def names(self) -> frozenset[str]:
        """Every claim asked for, for UserInfo or the ID token."""
        return frozenset(self.userinfo) | frozenset(self.id_token)

    def to_json(self) -> dict[str, Any]:
        return {"userinfo": dict(self.userinfo), "id_token": dict(self.id_token)}

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> ClaimsRequest:
        if not value:
            return cls()
        return cls(userinfo=value.get("userinfo") or {}, id_token=value.get("id_token") or {})

    def requested_acr_values(self) -> list[str]:
        acr = self.id_token.get("acr") or {}
        values = acr.get("values") or ([acr["value"]] if "value" in acr else [])
        return [v for v in values if isinstance(v, str)]


def _members(value: Any, target: str) -> dict[str, Mapping[str, Any] | None]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequestError(f"claims.{target} must be a JSON object")
    members: dict[str, Mapping[str, Any] | None] = {}
    for name, request in value.items():
        if request is not None and not isinstance(request, dict):
            raise InvalidRequestError(f"claims.{target}.{name} must be null or an object")
        members[name] = request
    return members


def scope_claims(scopes: Iterable[str]) -> frozenset[str]:
    return frozenset(claim for scope in scopes for claim in SCOPE_CLAIMS.get(scope, ()))


def release(
    user_claims: Mapping[str, Any],
    *,
    scopes: Iterable[str] = (),
    requested: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """The claims to hand over: those the scopes name plus those requested by name, that the
    user has a value for (§5.3.2: a claim without a value is omitted, not null). The caller
    passes only requests the user consented to (stint.protocol.consent)."""
    names = scope_claims(scopes) | (USER_CLAIMS & set(requested or ()))
    return {
        name: user_claims[name] for name in sorted(names) if user_claims.get(name) not in (None, "")
    }
