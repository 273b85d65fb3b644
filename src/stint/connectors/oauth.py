"""``BaseOAuth2``: python-social-auth's OAuth 2.0 backend, for Stint (RFC 6749 §4.1).

A provider is described by class attributes (``AUTHORIZATION_URL``, ``ACCESS_TOKEN_URL``, ...) as
on that library's "Adding a new backend" page; the token request itself is Authlib's
(``AsyncOAuth2Client``) over the strategy's outbound transport. Stint adds what that library
leaves to each backend: ``state`` checked in constant time, and PKCE S256 (RFC 7636) by default.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from stint.connectors.base import BaseAuth
from stint.connectors.exceptions import (
    AuthFailed,
    AuthMissingParameter,
    AuthStateForbidden,
    AuthStateMissing,
)
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.token_request import TOKEN_FIELDS, request_token
from stint.protocol.texts import N_, Text

__all__ = ["BaseOAuth", "BaseOAuth2", "BaseOAuth2PKCE"]

# strategy.session keys (kept sealed between auth_url and auth_complete).
CODE_VERIFIER = "code_verifier"


class BaseOAuth(BaseAuth):
    """What OAuth 1.0a and 2.0 backends share: the scope."""

    SCOPE_PARAMETER_NAME = "scope"
    DEFAULT_SCOPE: Sequence[str] | None = None
    SCOPE_SEPARATOR = " "

    def get_key_and_secret(self) -> tuple[str, str]:
        return str(self.setting("KEY") or ""), str(self.setting("SECRET") or "")

    def get_scope(self) -> list[str]:
        """DEFAULT_SCOPE, then the operator's SCOPE, each scope once."""
        configured = self.setting("SCOPE") or []
        if isinstance(configured, str):
            configured = configured.replace(",", " ").split()
        defaults = [] if self.setting("IGNORE_DEFAULT_SCOPE") else (self.DEFAULT_SCOPE or [])
        return list(dict.fromkeys([*defaults, *configured]))

    def get_scope_argument(self) -> dict[str, str]:
        scope = self.get_scope()
        return {self.SCOPE_PARAMETER_NAME: self.SCOPE_SEPARATOR.join(scope)} if scope else {}


class BaseOAuth2(BaseOAuth):
    """An OAuth 2.0 provider with the authorization code grant."""

    AUTHORIZATION_URL = ""
    ACCESS_TOKEN_URL = ""
    # python-social-auth's default; most providers want "POST" (not secrets: S105 is wrong)
    ACCESS_TOKEN_METHOD = "GET"  # noqa: S105
    REFRESH_TOKEN_URL: str | None = None
    REFRESH_TOKEN_METHOD = "POST"  # noqa: S105
    RESPONSE_TYPE: str | None = "code"
    STATE_PARAMETER = True
    # For a provider that drops ``state``: carry it in the redirect URI instead.
    REDIRECT_STATE = False
    # RFC 7636 S256; set False only for a provider that rejects the extra parameters.
    PKCE = True
    # How the token request authenticates the client (RFC 6749 §2.3.1): "client_secret_post"
    # (GitHub, Google, GitLab, Microsoft all accept it) or "client_secret_basic".
    TOKEN_ENDPOINT_AUTH_METHOD = "client_secret_post"  # noqa: S105
    # A provider that also runs self-hosted (GitHub Enterprise, a GitLab instance): the setting
    # naming the host's URL, and where the endpoints are under it unless set one by one.
    HOST_SETTING: str | None = None
    AUTHORIZATION_PATH = ""
    ACCESS_TOKEN_PATH = ""

    # -- where the endpoints are (overridden by discovery in OpenID Connect) -------------

    async def authorization_url(self) -> str:
        return self._endpoint("AUTHORIZATION_URL", self.AUTHORIZATION_URL, self.AUTHORIZATION_PATH)

    async def access_token_url(self) -> str:
        return self._endpoint("ACCESS_TOKEN_URL", self.ACCESS_TOKEN_URL, self.ACCESS_TOKEN_PATH)

    def _endpoint(self, setting: str, default: str, path: str) -> str:
        """The endpoint set by its own setting, else on the configured host, else ``default``."""
        if explicit := self.setting(setting):
            return str(explicit)
        host = self.setting(self.HOST_SETTING) if self.HOST_SETTING else None
        return str(host).rstrip("/") + path if host else default

    def get_redirect_uri(self, state: str | None = None) -> str:
        uri = self.redirect_uri
        if self.REDIRECT_STATE and not self.STATE_PARAMETER and state:
            uri = add_params_to_uri(uri, [("redirect_state", state)])
        return uri

    # -- step 1: the authorization request (RFC 6749 §4.1.1) -----------------------------

    def auth_params(self, state: str | None = None) -> dict[str, str]:
        client_id, _ = self.get_key_and_secret()
        params = {"client_id": client_id, "redirect_uri": self.get_redirect_uri(state)}
        if self.STATE_PARAMETER and state:
            params["state"] = state
        if self.RESPONSE_TYPE:
            params["response_type"] = self.RESPONSE_TYPE
        return params

    def auth_extra_arguments(self) -> dict[str, str]:
        """The operator's AUTH_EXTRA_ARGUMENTS (``prompt``, ``hd``, ...)."""
        return dict(self.setting("AUTH_EXTRA_ARGUMENTS") or {})

    def pkce_arguments(self) -> dict[str, str]:
        """RFC 7636 §4.1-4.3: a fresh verifier, kept in the session; its S256 challenge sent."""
        if not self.PKCE:
            return {}
        verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved set
        self.strategy.session_set(CODE_VERIFIER, verifier)
        return {
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }

    async def auth_url(self) -> str:
        state = self.strategy.state
        if not state and (self.STATE_PARAMETER or self.REDIRECT_STATE):
            raise AuthStateMissing(self)  # RFC 6749 §10.12: never a sign-in without state
        params = {
            **self.auth_extra_arguments(),  # first: never over state, redirect_uri or PKCE
            **self.get_scope_argument(),
            **self.auth_params(state),
            **self.pkce_arguments(),
        }
        return str(add_params_to_uri(await self.authorization_url(), list(params.items())))

    # -- step 2: the redirect back, the token request (RFC 6749 §4.1.2-4.1.4) -----------

    def validate_state(self) -> None:
        """The returned state equals this sign-in's (RFC 6749 §10.12), compared in constant
        time. Stint's web layer checks it too, before the backend runs."""
        if not (self.STATE_PARAMETER or self.REDIRECT_STATE):
            return
        expected = self.strategy.state
        returned = self.data.get("state") if self.STATE_PARAMETER else None
        returned = returned or self.data.get("redirect_state")
        if not expected or not returned:
            raise AuthStateMissing(self)
        if not hmac.compare_digest(expected.encode(), returned.encode()):
            raise AuthStateForbidden(self)

    # -- RFC 9207: who sent the authorization response (mix-up, RFC 9700 §4.4) ------------

    def authorization_response_issuer_required(self) -> bool:
        """Whether the provider advertised ``authorization_response_iss_parameter_supported``
        (RFC 9207 §3); a plain OAuth 2.0 provider has no metadata to say so."""
        return False

    def accepts_authorization_response_issuer(self, iss: str) -> bool | None:
        """Whether ``iss`` names this provider; None when the backend knows no issuer."""
        return None

    def validate_issuer(self) -> None:
        """RFC 9207 §2.4: an ``iss`` in the answer must name the provider the request went to,
        by simple string comparison; one that advertises the parameter must send it. Checked
        before anything else, error answers included: they are not assumed to be its own."""
        iss = self.data.get("iss")
        if iss is None:
            if self.authorization_response_issuer_required():
                raise AuthFailed(
                    self,
                    Text(
                        N_(
                            "The answer does not say it comes from this provider: it may come"
                            " from another provider."
                        )
                    ),
                )
            return
        if self.accepts_authorization_response_issuer(iss) is False:
            raise AuthFailed(self, Text(N_("The answer comes from another provider.")))

    def auth_complete_params(self, state: str | None = None) -> dict[str, str]:
        """The token request's parameters beyond client authentication."""
        params = {"code": self.data["code"], "redirect_uri": self.get_redirect_uri(state)}
        if self.PKCE:
            verifier = self.strategy.session_get(CODE_VERIFIER)
            if not verifier:
                raise AuthStateMissing(self)
            params[CODE_VERIFIER] = str(verifier)
        return params

    async def request_access_token(self, params: dict[str, str]) -> dict[str, Any]:
        client_id, client_secret = self.get_key_and_secret()
        return await request_token(
            self,
            await self.access_token_url(),
            params,
            client_id=client_id,
            client_secret=client_secret,
            method=self.ACCESS_TOKEN_METHOD,
            auth_method=self.token_endpoint_auth_method(),
        )

    def token_endpoint_auth_method(self) -> str:
        return str(self.setting("TOKEN_ENDPOINT_AUTH_METHOD") or self.TOKEN_ENDPOINT_AUTH_METHOD)

    async def auth_complete(self, *args: Any, **kwargs: Any) -> UpstreamIdentity:
        self.validate_issuer()
        self.process_error(self.data)
        self.validate_state()
        if not self.data.get("code"):
            raise AuthMissingParameter(self, "code")
        token = await self.request_access_token(self.auth_complete_params(self.strategy.state))
        return await self.do_auth(token["access_token"], response=token)

    async def do_auth(self, access_token: str, response: dict[str, Any]) -> UpstreamIdentity:
        """The person behind ``access_token``: user_data merged over the token answer."""
        data = await self.call_user_data(access_token, response=response)
        merged = {**response, **(data or {})}
        tokens = {name: response[name] for name in TOKEN_FIELDS if name in response}
        return self.identity(merged, tokens)


# python-social-auth names its PKCE base BaseOAuth2PKCE; here every OAuth 2.0 backend uses PKCE.
BaseOAuth2PKCE = BaseOAuth2
