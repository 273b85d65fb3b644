"""``OpenIdConnectAuth``: any OpenID provider by its issuer URL (OpenID Connect Core 1.0 §3.1,
Discovery 1.0), python-social-auth's backend of that name, for Stint.

The endpoints come from discovery; each sign-in sends a ``nonce`` and fully validates the ID token
(``connectors/id_token.py``) against the provider's rotating keys (``connectors/jwks.py``). The
person is the ID token's ``sub``, with details from its claims and the userinfo endpoint.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Collection
from typing import Any

from stint.connectors.discovery import DiscoveryCache, InvalidProviderMetadata, ProviderMetadata
from stint.connectors.exceptions import AuthFailed, AuthStateMissing, AuthTokenError
from stint.connectors.id_token import (
    IdTokenExpectations,
    IdTokenRejected,
    id_token_header,
    validate_id_token,
)
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.jwks import InvalidKeySet, JwksCache
from stint.connectors.oauth import BaseOAuth2
from stint.connectors.token_request import TOKEN_FIELDS
from stint.connectors.userinfo import merge_userinfo
from stint.protocol.jws import segment_json
from stint.protocol.texts import N_, Text

__all__ = ["OpenIdConnectAuth"]

logger = logging.getLogger("stint.connectors")

NONCE = "nonce"  # strategy.session key
# One per process, shared by every OpenID backend (keyed by URL).
DISCOVERY = DiscoveryCache()
JWKS = JwksCache()


class OpenIdConnectAuth(BaseOAuth2):
    """An OpenID provider: set OIDC_ENDPOINT (the issuer) and the client's KEY and SECRET."""

    name = "oidc"
    ID_KEY = "sub"
    OIDC_ENDPOINT = ""  # the issuer; the operator's OIDC_ENDPOINT setting wins
    DEFAULT_SCOPE = ("openid", "email", "profile")
    ACCESS_TOKEN_METHOD = "POST"  # noqa: S105 (a method, not a secret)
    ID_TOKEN_LEEWAY_SECONDS = 60.0

    discovery: DiscoveryCache = DISCOVERY
    jwks: JwksCache = JWKS
    clock: Callable[[], float] = staticmethod(time.time)  # the ID token's idea of now

    # -- the provider's metadata ---------------------------------------------------------

    def oidc_endpoint(self) -> str:
        return str(self.setting("OIDC_ENDPOINT") or self.OIDC_ENDPOINT)

    def accepts_discovered_issuer(self, discovered: str) -> bool:
        """Discovery §4.3: the document's issuer is exactly the one we asked."""
        return discovered == self.oidc_endpoint()

    async def oidc_config(self) -> ProviderMetadata:
        issuer = self.oidc_endpoint()
        if not issuer:
            raise AuthFailed(self, Text(N_("This provider has no issuer configured.")))
        try:
            metadata = await self.discovery.metadata(issuer, self.aget_json)
        except InvalidProviderMetadata as exc:
            logger.warning("%s: discovery at %s refused: %s", self.name, issuer, exc)
            raise AuthFailed(self, Text(N_("The provider's configuration is not usable."))) from exc
        if not self.accepts_discovered_issuer(metadata.issuer):
            logger.warning(
                "%s: discovery at %s names the issuer %r (Discovery §4.3): fix OIDC_ENDPOINT",
                self.name,
                issuer,
                metadata.issuer,
            )
            self.discovery.forget(issuer)
            raise AuthFailed(self, Text(N_("The provider's configuration is not usable.")))
        # PKCE S256 unless the provider lists its PKCE methods without it.
        methods = metadata.code_challenge_methods_supported
        self.PKCE = self.PKCE and (methods is None or "S256" in methods)
        return metadata

    async def authorization_url(self) -> str:
        return (await self.oidc_config()).authorization_endpoint

    async def access_token_url(self) -> str:
        return (await self.oidc_config()).token_endpoint

    def token_endpoint_auth_method(self) -> str:
        configured = self.setting("TOKEN_ENDPOINT_AUTH_METHOD")
        if configured:
            return str(configured)
        # OIDC Core §9 / Registration §2: a client registered without a method uses
        # client_secret_basic, and providers (node-oidc-provider, Stint) hold it to that.
        supported = self._metadata.token_endpoint_auth_methods_supported
        if "client_secret_basic" not in supported and "client_secret_post" in supported:
            return "client_secret_post"
        return "client_secret_basic"

    # -- the authorization request: a nonce (Core §3.1.2.1) ------------------------------

    async def auth_url(self) -> str:
        self._metadata = await self.oidc_config()
        return await super().auth_url()

    def auth_params(self, state: str | None = None) -> dict[str, str]:
        nonce = secrets.token_urlsafe(32)
        self.strategy.session_set(NONCE, nonce)
        return {**super().auth_params(state), NONCE: nonce}

    # -- the redirect back ---------------------------------------------------------------

    async def auth_complete(self, *args: Any, **kwargs: Any) -> UpstreamIdentity:
        if "iss" not in self.data:
            self.process_error(self.data)  # a refusal without iss needs no discovery
        self._metadata = await self.oidc_config()
        return await super().auth_complete(*args, **kwargs)

    def authorization_response_issuer_required(self) -> bool:
        # RFC 9207 §2.4: "MUST reject authorization responses that do not contain the iss
        # parameter" once the provider advertised it (§3).
        document = self._metadata.document
        return document.get("authorization_response_iss_parameter_supported") is True

    def accepts_authorization_response_issuer(self, iss: str) -> bool | None:
        return iss == self._metadata.issuer  # RFC 9207 §2.4: simple string comparison

    async def do_auth(self, access_token: str, response: dict[str, Any]) -> UpstreamIdentity:
        id_token = response.get("id_token")
        if not isinstance(id_token, str):
            raise AuthTokenError(self, Text(N_("The provider gave no ID token.")))
        claims = await self.validate_and_return_id_token(id_token, access_token)
        userinfo = await self.call_user_data(access_token, response=response)
        merged = merge_userinfo(claims, userinfo or {}, self)
        tokens = {name: response[name] for name in TOKEN_FIELDS if name in response}
        return self.identity(merged, tokens)

    def expected_issuers(self, unverified_claims: dict[str, Any]) -> Collection[str]:
        """The ``iss`` values this provider's ID tokens may carry."""
        return (self._metadata.issuer,)

    async def validate_and_return_id_token(
        self, id_token: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The claims of ``id_token`` once it passes every rule of Core §3.1.3.7."""
        nonce = self.strategy.session_get(NONCE)
        if not nonce:
            raise AuthStateMissing(self)
        try:
            kid = id_token_header(id_token).get("kid")
            jwks = await self.jwks.key_set(
                self._metadata.jwks_uri, self.aget_json, kid if isinstance(kid, str) else None
            )
            unverified = _unverified_claims(id_token)
            return validate_id_token(
                id_token,
                jwks,
                IdTokenExpectations(
                    issuers=self.expected_issuers(unverified),
                    client_id=self.get_key_and_secret()[0],
                    nonce=str(nonce),
                    algorithms=self._metadata.id_token_signing_alg_values_supported,
                    now=self.clock(),
                    leeway_seconds=self.ID_TOKEN_LEEWAY_SECONDS,
                    access_token=access_token,
                ),
            )
        except (IdTokenRejected, InvalidKeySet) as exc:
            logger.info("%s: ID token refused: %s", self.name, exc)
            raise AuthFailed(self, Text(N_("The provider's ID token was not accepted."))) from exc

    async def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The userinfo endpoint's claims (Core §5.3), if the provider has one."""
        endpoint = self._metadata.userinfo_endpoint
        if not endpoint:
            return {}
        answer = await self.aget_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})
        if not isinstance(answer, dict):
            raise AuthFailed(self, Text(N_("The provider's userinfo answer is not usable.")))
        return answer

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        """python-social-auth's keys from the standard claims (Core §5.1)."""
        first, last = response.get("given_name") or "", response.get("family_name") or ""
        return {
            "username": response.get("preferred_username") or response.get("nickname") or "",
            "email": response.get("email") or "",
            "fullname": response.get("name") or " ".join(p for p in (first, last) if p),
            "first_name": first,
            "last_name": last,
        }

    _metadata: ProviderMetadata


def _unverified_claims(id_token: str) -> dict[str, Any]:
    """Read before verification only to learn which issuer to expect (Microsoft's tenant)."""
    try:
        return segment_json(id_token, 1)
    except ValueError as exc:
        raise IdTokenRejected("malformed payload") from exc
