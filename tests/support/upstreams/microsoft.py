"""The Microsoft identity platform (v2.0 endpoints) as Microsoft documents it
(learn.microsoft.com: "OpenID Connect on the Microsoft identity platform", "ID token claims
reference"): an authority per tenant (``/{tenant}/v2.0``), the multi-tenant authorities
(``common``, ``organizations``) whose discovery names the issuer template
``.../{tenantid}/v2.0``, ID tokens with ``tid`` and ``oid`` (no ``email_verified``), and a
userinfo endpoint (Graph's ``/oidc/userinfo``) that answers only the profile claims."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.upstreams.oidc_provider import FakeOpenIdProvider, Grant

__all__ = ["MICROSOFT_PERSON", "PERSONAL_ACCOUNTS_TENANT", "FakeMicrosoft"]

MICROSOFT_PERSON: dict[str, Any] = {
    "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",  # pairwise: per app
    "tid": "9122040d-6c67-4c5b-b112-36a304b66dad",
    "oid": "00000000-0000-0000-66f3-3332eca7ea81",
    "preferred_username": "ann@contoso.onmicrosoft.com",
    "name": "Ann Example",
    "email": "ann@contoso.com",  # optional, unverified: an administrator sets it
}
MULTI_TENANT = ("common", "organizations")
PERSONAL_ACCOUNTS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


@dataclass
class FakeMicrosoft(FakeOpenIdProvider):
    PATHS: ClassVar[dict[str, str]] = {
        "authorize": "/oauth2/v2.0/authorize",
        "token": "/oauth2/v2.0/token",
        "jwks": "/discovery/v2.0/keys",
    }

    @property
    def issuer(self) -> str:
        """The issuer of the signed-in person's tenant."""
        return f"{self.base_url}/{self.person['tid']}/v2.0"

    def tenant_document(self, tenant: str) -> dict[str, Any]:
        base = f"{self.base_url}/{tenant}"
        if tenant in MULTI_TENANT:
            issuer = f"{self.base_url}/{{tenantid}}/v2.0"
        elif tenant == "consumers":  # personal accounts: one tenant of their own
            issuer = f"{self.base_url}/{PERSONAL_ACCOUNTS_TENANT}/v2.0"
        else:
            issuer = f"{base}/v2.0"
        return {
            "issuer": issuer,
            "authorization_endpoint": base + self.PATHS["authorize"],
            "token_endpoint": base + self.PATHS["token"],
            "jwks_uri": base + self.PATHS["jwks"],
            "userinfo_endpoint": f"{self.base_url}/oidc/userinfo",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tid", "oid"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }

    async def tenant_discovery(self, request: Request) -> Response:
        self.discovery_fetches += 1
        if self.misbehave.discovery_status:
            return Response("unavailable", status_code=self.misbehave.discovery_status)
        return JSONResponse(self.tenant_document(request.path_params["tenant"]))

    def id_token_claims(self, grant: Grant, access_token: str) -> dict[str, Any]:
        claims = super().id_token_claims(grant, access_token)
        claims.pop("at_hash", None)
        claims.update({"ver": "2.0", "nbf": claims["iat"], "aio": "Df2UVXL1ix!lMCWMSOJBcFat"})
        return claims

    async def userinfo(self, request: Request) -> Response:
        answer = await super().userinfo(request)
        if answer.status_code != 200 or not isinstance(answer, JSONResponse):
            return answer
        claims = json.loads(bytes(answer.body))
        profile = ("sub", "name", "family_name", "given_name", "picture", "email")
        return JSONResponse({k: v for k, v in claims.items() if k in profile})

    def routes(self) -> list[Route]:
        t, paths = "/{tenant}", self.PATHS
        return [
            Route(t + "/v2.0/.well-known/openid-configuration", self.tenant_discovery),
            Route(t + paths["jwks"], self.jwks),
            Route(t + paths["authorize"], self.authorize),
            Route(t + paths["token"], self.token, methods=["POST"]),
            Route("/oidc/userinfo", self.userinfo, methods=["GET", "POST"]),
        ]
