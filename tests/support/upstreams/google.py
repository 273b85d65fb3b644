"""Google's OpenID provider as Google documents it
(developers.google.com/identity/openid-connect/openid-connect, accounts.google.com's discovery
document): its endpoint paths (on one loopback host here; Google spreads them over
accounts.google.com, oauth2.googleapis.com, openidconnect.googleapis.com and www.googleapis.com),
``azp`` in every ID token, ``hd`` for a Workspace account, and ``iss`` spelled with or without
``https://``, which Google warns clients about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from tests.support.upstreams.oidc_provider import FakeOpenIdProvider, Grant

__all__ = ["GOOGLE_PERSON", "FakeGoogle"]

GOOGLE_PERSON: dict[str, Any] = {
    "sub": "110169484474386276334",  # Google's stable, numeric-string account id
    "email": "ann.example@gmail.com",
    "email_verified": True,
    "name": "Ann Example",
    "given_name": "Ann",
    "family_name": "Example",
    "picture": "https://lh3.googleusercontent.com/a/example",
    "locale": "en",
}


@dataclass
class FakeGoogle(FakeOpenIdProvider):
    PATHS: ClassVar[dict[str, str]] = {
        "authorize": "/o/oauth2/v2/auth",
        "token": "/token",
        "userinfo": "/v1/userinfo",
        "jwks": "/oauth2/v3/certs",
    }
    iss_without_scheme: bool = False  # "accounts.google.com", as some Google ID tokens say

    def discovery_document(self) -> dict[str, Any]:
        document = super().discovery_document()
        document.update(
            {
                "device_authorization_endpoint": f"{self.issuer}/device/code",
                "revocation_endpoint": f"{self.issuer}/revoke",
                "response_types_supported": [
                    "code",
                    "token",
                    "id_token",
                    "code token",
                    "code id_token",
                    "token id_token",
                    "code token id_token",
                    "none",
                ],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "code_challenge_methods_supported": ["plain", "S256"],
                "claims_supported": [
                    "aud",
                    "email",
                    "email_verified",
                    "exp",
                    "family_name",
                    "given_name",
                    "iat",
                    "iss",
                    "name",
                    "picture",
                    "sub",
                ],
            }
        )
        return document

    def reset(self) -> None:
        super().reset()
        self.iss_without_scheme = False

    def id_token_claims(self, grant: Grant, access_token: str) -> dict[str, Any]:
        claims = super().id_token_claims(grant, access_token)
        claims.setdefault("azp", grant.client_id)  # Google sets azp to the client's id
        for name in ("locale",):  # in userinfo, not in the ID token
            claims.pop(name, None)
        if self.iss_without_scheme and not self.misbehave.iss:
            claims["iss"] = self.issuer.partition("://")[2]
        return claims
