"""``BaseOAuth1``: python-social-auth's OAuth 1.0a backend (``ConsumerBasedOAuth``), for Stint.

The three steps of RFC 5849 §2 are Authlib's ``AsyncOAuth1Client`` (HMAC-SHA1 signatures in the
``Authorization`` header) over the strategy's outbound transport. OAuth 1.0a has no ``state``, so
this sign-in's state travels in the callback URI as ``redirect_state`` and the request token is
kept in the strategy's session, which Stint stores sealed and uses once.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any, cast

import httpx
from authlib.common.urls import add_params_to_uri

from stint.connectors.authlib_clients import AsyncOAuth1Client, OAuthError
from stint.connectors.exceptions import (
    AuthCanceled,
    AuthFailed,
    AuthMissingParameter,
    AuthStateForbidden,
    AuthStateMissing,
    AuthTokenError,
    AuthUnreachable,
)
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.oauth import BaseOAuth
from stint.protocol.texts import N_, Text

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BaseOAuth1", "ConsumerBasedOAuth"]

# strategy.session key: the temporary credentials between auth_url and auth_complete.
REQUEST_TOKEN = "oauth1_request_token"  # noqa: S105 (a session key)
TOKEN_FIELDS = ("oauth_token", "oauth_token_secret")


class _ServerError(Exception):
    """The provider answered 5xx: unreachable, not a refusal."""


async def _raise_for_server_error(response: httpx.Response) -> None:
    if response.status_code >= 500:
        raise _ServerError


class BaseOAuth1(BaseOAuth):
    """An OAuth 1.0a provider: temporary credentials, the person's authorization, token
    credentials (RFC 5849 §2.1-2.3)."""

    REQUEST_TOKEN_URL = ""
    AUTHORIZATION_URL = ""
    ACCESS_TOKEN_URL = ""
    # RFC 5849 §2.1, §2.3: both credential requests are POSTs (Authlib makes them so).
    REQUEST_TOKEN_METHOD = "POST"  # noqa: S105
    ACCESS_TOKEN_METHOD = "POST"  # noqa: S105
    # No state parameter in OAuth 1.0a: carry ours in the callback URI.
    STATE_PARAMETER = False
    REDIRECT_STATE = True
    OAUTH_TOKEN_PARAMETER_NAME = "oauth_token"  # noqa: S105 (a parameter name)

    def setting_url(self, name: str) -> str:
        """An endpoint: the operator's setting, else the class attribute."""
        url = str(self.setting(name) or getattr(self, name) or "")
        if not url:  # the operator's mistake: a clear page, as GenericOAuth2 says it
            raise AuthFailed(
                self, Text(N_("This provider is not fully configured (no %(name)s)."), name=name)
            )
        return url

    def get_redirect_uri(self, state: str | None = None) -> str:
        """The callback (``oauth_callback``, §2.1), with our state as ``redirect_state``."""
        if self.REDIRECT_STATE and state:
            return str(add_params_to_uri(self.redirect_uri, [("redirect_state", state)]))
        return self.redirect_uri

    def oauth_client(self, token: Mapping[str, str] | None = None, **options: Any) -> Any:
        """Authlib's client, signing as this consumer (and with ``token`` if given)."""
        key, secret = self.get_key_and_secret()
        return AsyncOAuth1Client(
            client_id=key,
            client_secret=secret,
            token=(token or {}).get("oauth_token"),
            token_secret=(token or {}).get("oauth_token_secret"),
            transport=self.strategy.transport,
            timeout=httpx.Timeout(self.strategy.timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxies or .netrc credentials from the environment
            event_hooks={"response": [_raise_for_server_error]},
            **options,
        )

    async def _credentials(self, call: Any) -> dict[str, str]:
        """A credentials request's answer, its failures as python-social-auth's errors."""
        try:
            answer = dict(await call)
        except (_ServerError, httpx.HTTPError) as exc:
            raise AuthUnreachable(self) from exc
        except (OAuthError, ValueError) as exc:  # a 4xx answer, or one we cannot read
            raise AuthTokenError(self) from exc
        if not all(isinstance(answer.get(name), str) and answer[name] for name in TOKEN_FIELDS):
            raise AuthTokenError(self)
        return answer

    # -- step 1: temporary credentials, then the person at the provider (§2.1, §2.2) -----

    async def auth_url(self) -> str:
        callback = self.get_redirect_uri(self.strategy.state)
        async with self.oauth_client(redirect_uri=callback) as client:
            request_token = await self._credentials(
                client.fetch_request_token(self.setting_url("REQUEST_TOKEN_URL"))
            )
        # §2.1: a provider that ignored our callback would send the person elsewhere.
        if request_token.get("oauth_callback_confirmed") != "true":
            raise AuthFailed(self, Text(N_("The provider did not confirm the callback URI.")))
        self.strategy.session_set(
            REQUEST_TOKEN, {name: request_token[name] for name in TOKEN_FIELDS}
        )
        return str(
            add_params_to_uri(
                self.setting_url("AUTHORIZATION_URL"),
                [(self.OAUTH_TOKEN_PARAMETER_NAME, request_token["oauth_token"])],
            )
        )

    # -- step 2: back from the provider, token credentials (§2.2, §2.3) ------------------

    def validate_state(self) -> None:
        """Our ``redirect_state`` came back unchanged, compared in constant time."""
        expected = self.strategy.state
        returned = self.data.get("redirect_state")
        if not expected or not returned:
            raise AuthStateMissing(self)
        if not hmac.compare_digest(expected.encode(), returned.encode()):
            raise AuthStateForbidden(self)

    def unauthorized_token(self) -> dict[str, str]:
        """The request token this sign-in fetched; the callback must name that one (§2.2)."""
        stored = self.strategy.session_pop(REQUEST_TOKEN)
        if not isinstance(stored, dict) or not stored.get("oauth_token"):
            raise AuthStateMissing(self)
        returned = self.data.get(self.OAUTH_TOKEN_PARAMETER_NAME)
        if not returned:
            raise AuthMissingParameter(self, self.OAUTH_TOKEN_PARAMETER_NAME)
        if not hmac.compare_digest(str(stored["oauth_token"]).encode(), returned.encode()):
            raise AuthTokenError(self, Text(N_("The provider's answer is for another sign-in.")))
        return {name: str(stored[name]) for name in TOKEN_FIELDS}

    async def access_token(self, token: Mapping[str, str]) -> dict[str, str]:
        verifier = self.data.get("oauth_verifier")
        if not verifier:
            raise AuthMissingParameter(self, "oauth_verifier")
        async with self.oauth_client(token) as client:
            return await self._credentials(
                client.fetch_access_token(self.setting_url("ACCESS_TOKEN_URL"), verifier=verifier)
            )

    async def auth_complete(self, *args: Any, **kwargs: Any) -> UpstreamIdentity:
        self.process_error(self.data)
        if self.data.get("denied"):  # what a person's refusal looks like at Twitter and others
            raise AuthCanceled(self)
        self.validate_state()
        token = self.unauthorized_token()
        return await self.do_auth(await self.access_token(token))

    async def do_auth(self, access_token: dict[str, str], **kwargs: Any) -> UpstreamIdentity:
        """The person: user_data (given the token credentials as a dict, as python-social-auth
        does) merged over the token answer's other fields (``user_id``, ``screen_name``...)."""
        data = await self.call_user_data(cast(Any, access_token))
        fields = {k: v for k, v in access_token.items() if k not in TOKEN_FIELDS}
        tokens = {name: access_token[name] for name in TOKEN_FIELDS}
        return self.identity({**fields, **(data or {})}, tokens)

    # -- signed requests for user_data (§3) -----------------------------------------------

    async def aoauth_request(
        self,
        token: Mapping[str, str],
        url: str,
        params: Mapping[str, str] | None = None,
        method: str = "GET",
        **kwargs: Any,
    ) -> httpx.Response:
        """A request signed with the token credentials; 5xx or no answer is AuthUnreachable,
        another non-2xx AuthFailed."""
        try:
            async with self.oauth_client(token) as client:
                response: httpx.Response = await client.request(
                    method, url, params=params, **kwargs
                )
        except (_ServerError, httpx.HTTPError) as exc:
            raise AuthUnreachable(self) from exc
        if response.status_code >= 400:
            raise AuthFailed(
                self, Text(N_("The provider answered %(status)d."), status=response.status_code)
            )
        return response

    async def aoauth_json(self, token: Mapping[str, str], url: str, **kwargs: Any) -> Any:
        response = await self.aoauth_request(token, url, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise AuthFailed(self, Text(N_("The provider's answer is not JSON."))) from exc

    def oauth_request(
        self,
        token: Mapping[str, str],
        url: str,
        params: Mapping[str, str] | None = None,
        method: str = "GET",
        **kwargs: Any,
    ) -> httpx.Response:
        """The blocking form of ``aoauth_request``, for a plain ``user_data``."""
        return self._blocking(self.aoauth_request, token, url, params, method, **kwargs)  # type: ignore[no-any-return]

    def fetch_response(self, response: httpx.Response) -> str:
        """python-social-auth's name: the body of an ``oauth_request`` answer."""
        return response.text


# python-social-auth's other name for it, as on its "Adding a new backend" page.
ConsumerBasedOAuth = BaseOAuth1
