"""What a completed upstream sign-in gives back to Stint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["UpstreamIdentity"]


@dataclass(frozen=True)
class UpstreamIdentity:
    """One person at one provider, as the backend read them.

    ``uid`` with the configured provider ``name`` is the key Stint links to an account; it is
    stable at the provider (an OpenID provider's ``sub``, Microsoft's ``tid``+``oid``), never
    an email address. ``details`` uses python-social-auth's keys: ``username``, ``email``,
    ``fullname``, ``first_name``, ``last_name``.
    """

    provider: str  # the configured name: /login/<provider>/
    uid: str
    details: dict[str, Any]
    # True only when the provider asserted this address verified (OIDC email_verified, GitHub's
    # /user/emails "verified", ...); the account-linking rules rely on it.
    email_verified: bool = False
    extra_data: dict[str, Any] = field(default_factory=dict)  # the backend's EXTRA_DATA
    # access_token, refresh_token, expires_in, token_type: stored only when the operator enables
    # storing upstream tokens, and then sealed.
    tokens: dict[str, Any] = field(default_factory=dict, repr=False)
    response: dict[str, Any] = field(default_factory=dict, repr=False)  # the merged user data
