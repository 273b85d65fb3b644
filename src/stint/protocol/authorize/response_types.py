"""Response types and modes (OAuth 2.0 Multiple Response Type Encoding Practices, OIDC Core §3).

A response type is a set of values; "id_token code" and "code id_token" are the same one, so
each is normalised to a fixed order before it is compared with anything.
"""

from __future__ import annotations

from stint.protocol.clients import GRANT_TYPES, Client

__all__ = [
    "RESPONSE_MODES",
    "RESPONSE_TYPES",
    "client_response_types",
    "default_mode",
    "enabled_response_types",
    "normalise",
    "required_grants",
    "returns_access_token",
]

_ORDER = {"code": 0, "id_token": 1, "token": 2}
# response_type → the grants a client needs for it (RFC 7591 §2.1's correspondence).
RESPONSE_TYPES: dict[str, frozenset[str]] = {
    "code": frozenset({"authorization_code"}),
    "token": frozenset({"implicit"}),
    "id_token": frozenset({"implicit"}),
    "id_token token": frozenset({"implicit"}),
    "code id_token": frozenset({"authorization_code", "implicit"}),
    "code token": frozenset({"authorization_code", "implicit"}),
    "code id_token token": frozenset({"authorization_code", "implicit"}),
}
RESPONSE_MODES = ("query", "fragment", "form_post")  # form_post: OAuth 2.0 Form Post Response Mode


def normalise(response_type: str) -> str:
    values = response_type.split(" ")
    if any(v not in _ORDER for v in values) or len(set(values)) != len(values):
        return response_type  # unknown: left as sent, and refused by the check
    return " ".join(sorted(values, key=_ORDER.__getitem__))


def returns_access_token(response_type: str) -> bool:
    """Whether the authorization endpoint itself hands out an access token (RFC 9700 §2.1.2)."""
    return "token" in response_type.split(" ")


def enabled_response_types(
    *, implicit_enabled: bool, grant_types: frozenset[str] = GRANT_TYPES
) -> list[str]:
    """The response types accepted: their grants on, front-channel access tokens if enabled."""
    return [
        rt
        for rt, grants in RESPONSE_TYPES.items()
        if grants <= grant_types and (implicit_enabled or not returns_access_token(rt))
    ]


def required_grants(response_type: str) -> frozenset[str] | None:
    return RESPONSE_TYPES.get(response_type)


def default_mode(response_type: str) -> str:
    # Multiple Response Types §5: anything but a lone code defaults to the fragment; an
    # unknown type carries no token, so its error goes in the query.
    return "fragment" if response_type in RESPONSE_TYPES and response_type != "code" else "query"


def client_response_types(client: Client) -> frozenset[str]:
    """What the client registered (OIDC Registration §2), or what its grants imply."""
    registered = client.meta("response_types")
    if isinstance(registered, list) and registered:
        return frozenset(normalise(str(r)) for r in registered)
    implied = {"code"} if client.allows_grant("authorization_code") else set()
    if client.allows_grant("implicit"):
        implied |= {"token", "id_token", "id_token token"}
    return frozenset(implied)
