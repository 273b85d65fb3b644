"""Scopes of the time-tracking API, and parsing the scope parameter (RFC 6749 §3.3)."""

from __future__ import annotations

import re

from stint.protocol.errors import InvalidScopeError
from stint.protocol.oidc.claims import OIDC_SCOPES
from stint.protocol.texts import N_

__all__ = [
    "API_SCOPES",
    "FIRST_PARTY_CLIENT_ID",
    "SCOPE_DESCRIPTIONS",
    "granted_scopes",
    "scopes_to_ask",
]

SCOPE_DESCRIPTIONS = {
    "activities:read": N_("See your activities"),
    "activities:write": N_("Create, change and delete your activities"),
    "time-entries:read": N_("See your time entries"),
    "time-entries:write": N_("Record, change and delete your time entries, and run your timer"),
    "reports:read": N_("See reports of your time"),
    "profile": N_("See your username, name and profile details"),
}
API_SCOPES = frozenset(SCOPE_DESCRIPTIONS)
# OpenID Connect scopes (Core §5.4, §11), open to every client; described on the consent page.
SCOPE_DESCRIPTIONS |= {
    "openid": N_("Know who you are on Stint"),
    "email": N_("See your email address"),
    "address": N_("See your postal address"),
    "phone": N_("See your phone number"),
    "offline_access": N_("Keep access while you are away"),
}

# The built-in client that the first-party token endpoint (/api/token) issues tokens for.
FIRST_PARTY_CLIENT_ID = "stint-first-party"

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+\Z")


def granted_scopes(requested: str | None, allowed: frozenset[str]) -> frozenset[str]:
    """The scopes to grant: the request's, which must all be allowed; all allowed if omitted."""
    if requested is None:
        return allowed
    scopes = frozenset(requested.split(" ")) - {""}
    if not scopes:
        raise InvalidScopeError("the scope parameter is empty")
    for scope in scopes:
        if not _SCOPE_TOKEN.match(scope):
            raise InvalidScopeError("the scope parameter is malformed")
    unknown = scopes - allowed
    if unknown:
        raise InvalidScopeError(f"not allowed for this client: {' '.join(sorted(unknown))}")
    return scopes


def scopes_to_ask(requested: str | None, client_scopes: frozenset[str]) -> frozenset[str]:
    """The scopes a request asks a user to grant: the client's if it names none; else those it
    names, each one of the client's or an identity scope (open to every client, consented to by
    the user)."""
    if requested is None:
        return client_scopes
    return granted_scopes(requested, client_scopes | OIDC_SCOPES)
