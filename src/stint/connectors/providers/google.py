"""Google as an OpenID provider (developers.google.com/identity/openid-connect/openid-connect).

Everything comes from Google's discovery document; what is Google's own: its ID tokens' ``iss``
is ``https://accounts.google.com`` or, as Google documents, the same without the scheme.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from stint.connectors.open_id_connect import OpenIdConnectAuth

__all__ = ["GoogleOpenIdConnect"]


class GoogleOpenIdConnect(OpenIdConnectAuth):
    name = "google"
    OIDC_ENDPOINT = "https://accounts.google.com"  # OIDC_ENDPOINT setting: a test's fake

    def expected_issuers(self, unverified_claims: dict[str, Any]) -> Collection[str]:
        issuer = self._metadata.issuer
        return (issuer, issuer.partition("://")[2])

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        """Google sends no preferred_username: the address is the name people know."""
        details = super().get_user_details(response)
        details["username"] = details["username"] or details["email"].partition("@")[0]
        return details
