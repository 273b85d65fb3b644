"""Microsoft Entra ID (the Microsoft identity platform v2.0) as an OpenID provider.

A person is keyed on ``tid`` + ``oid`` (their tenant and their immutable object id), as
Microsoft advises; never on ``email`` or ``preferred_username``, which a tenant's administrator
can change to anyone's address. With a multi-tenant authority (``common``, ``organizations``,
``consumers``) the discovery document's issuer is the template
``https://login.microsoftonline.com/{tenantid}/v2.0``: an ID token's ``iss`` must equal it with
the token's own ``tid`` filled in.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from stint.connectors.exceptions import AuthFailed
from stint.connectors.open_id_connect import OpenIdConnectAuth
from stint.protocol.texts import N_, Text

__all__ = ["MicrosoftOpenIdConnect"]

TENANT_PLACEHOLDER = "{tenantid}"
MULTI_TENANT = ("common", "organizations", "consumers")
# The tenant of personal Microsoft accounts (outlook.com, ...), consumers' issuer.
PERSONAL_ACCOUNTS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class MicrosoftOpenIdConnect(OpenIdConnectAuth):
    """TENANT setting: "common" (default), "organizations", "consumers" or a tenant id."""

    name = "microsoft"
    AUTHORITY = "https://login.microsoftonline.com"

    def tenant(self) -> str:
        return str(self.setting("TENANT") or "common")

    def oidc_endpoint(self) -> str:
        configured = self.setting("OIDC_ENDPOINT")
        return str(configured or f"{self.AUTHORITY}/{self.tenant()}/v2.0")

    def accepts_discovered_issuer(self, discovered: str) -> bool:
        """A multi-tenant authority's document names the issuer template (``consumers``: the
        personal accounts' tenant), not itself."""
        endpoint = self.oidc_endpoint()
        if discovered == endpoint:
            return True
        for tenant in MULTI_TENANT:
            if f"/{tenant}/" in endpoint + "/":
                issuer = PERSONAL_ACCOUNTS_TENANT if tenant == "consumers" else TENANT_PLACEHOLDER
                expected = (endpoint + "/").replace(f"/{tenant}/", f"/{issuer}/", 1)
                return discovered == expected.removesuffix("/")
        return False

    def expected_issuers(self, unverified_claims: dict[str, Any]) -> Collection[str]:
        issuer = self._metadata.issuer
        if TENANT_PLACEHOLDER not in issuer:
            return (issuer,)  # a single tenant: its issuer exactly
        tid = unverified_claims.get("tid")
        if not isinstance(tid, str) or not _GUID.fullmatch(tid):
            return ()  # no tenant: no issuer to accept
        return (issuer.replace(TENANT_PLACEHOLDER, tid),)

    def accepts_authorization_response_issuer(self, iss: str) -> bool | None:
        """A multi-tenant authority's answer names the person's tenant in the template."""
        issuer = self._metadata.issuer
        if TENANT_PLACEHOLDER not in issuer:
            return iss == issuer
        before, _, after = issuer.partition(TENANT_PLACEHOLDER)
        tid = iss.removeprefix(before).removesuffix(after)
        return iss == before + tid + after and _GUID.fullmatch(tid) is not None

    def get_user_id(self, details: dict[str, Any], response: dict[str, Any]) -> str:
        tid, oid = response.get("tid"), response.get("oid")
        if not (isinstance(tid, str) and tid and isinstance(oid, str) and oid):
            raise AuthFailed(self, Text(N_("Microsoft did not say who you are (no tid and oid).")))
        return f"{tid}:{oid}"

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        details = super().get_user_details(response)
        # The optional email claim only; preferred_username is a sign-in name, not a mailbox.
        details["email"] = response.get("email") or ""
        return details
