"""Scopes of the time-tracking API."""

from __future__ import annotations

__all__ = ["API_SCOPES", "FIRST_PARTY_CLIENT_ID"]

API_SCOPES = frozenset(
    {
        "activities:read",
        "activities:write",
        "time-entries:read",
        "time-entries:write",
        "reports:read",
        "profile",
    }
)

# The built-in client that the first-party token endpoint (/api/token) issues tokens for.
FIRST_PARTY_CLIENT_ID = "stint-first-party"
