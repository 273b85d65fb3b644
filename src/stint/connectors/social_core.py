"""python-social-auth's own backends, unchanged, as Stint backends (``stint[social-core]``).

``adapt(social_core.backends.gitlab.GitLabOAuth2)`` gives a ``BaseAuth`` subclass whose
``auth_url`` and ``auth_complete`` drive an instance of that class through social-core's
strategy and storage interfaces (``stint.connectors.social_core_strategy``). Its code is
synchronous (``requests``), so each step runs in a worker thread, off the event loop; its HTTP
requests are prepared by ``requests`` as it expects but sent by Stint's outbound client (the
strategy's transport and timeout), from that thread back on the event loop. Where social-core
would run its pipeline, the person is handed back as an ``UpstreamIdentity``, and its
exceptions become Stint's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import requests
from requests.structures import CaseInsensitiveDict
from social_core import exceptions as social
from social_core.backends.base import BaseAuth as SocialAuth
from social_core.backends.gitlab import GitLabOAuth2
from social_core.backends.open_id_connect import OpenIdConnectAuth as SocialOpenIdConnect
from social_core.utils import http_error, user_agent

from stint.connectors.base import BaseAuth
from stint.connectors.exceptions import (
    AuthCanceled,
    AuthException,
    AuthFailed,
    AuthMissingParameter,
    AuthStateForbidden,
    AuthStateMissing,
    AuthTokenError,
    AuthUnreachable,
)
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.social_core_strategy import Completed, SocialCoreStrategy
from stint.connectors.strategy import Strategy
from stint.protocol.texts import N_, Text

__all__ = ["SocialCoreAuth", "adapt", "as_requests_response", "stint_exception"]

log = logging.getLogger("stint.social")
T = TypeVar("T")

# One step makes at most this many requests (discovery, token, JWKS, user info), each bounded
# by the outbound timeout; the step as a whole gets that many timeouts.
CALLS_PER_STEP = 4
# Credentials in a token answer: kept only in UpstreamIdentity.tokens (sealed, if at all).
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_in", "token_type", "scope", "id_token")
SECRET_FIELDS = frozenset(
    {"access_token", "refresh_token", "id_token", "oauth_token", "oauth_token_secret"}
)
# social-core's error codes for a provider that could not answer (social_core.exceptions.REASONS).
UNREACHABLE_CODES = frozenset({"timeout", "connection_failed", "unavailable", "rate_limited"})


class OutboundBridge(SocialAuth[str]):
    """social-core's ``request`` over Stint's outbound client. An adapted class puts this right
    above social-core's ``BaseAuth``, so a backend's own ``request`` (Facebook's, LINE's, which
    reclassify errors) still wraps it."""

    def request(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Any = None,
        data: Any = None,
        json: Any = None,
        auth: Any = None,
        params: Any = None,
        timeout: float | None = None,
        stage: Any = "user_info",
    ) -> Any:
        strategy: SocialCoreStrategy = self.strategy  # type: ignore[assignment]
        headers = dict(headers or {})
        if self.SEND_USER_AGENT and "User-Agent" not in headers:
            headers["User-Agent"] = self.setting("USER_AGENT") or user_agent()
        # requests encodes the form, JSON, query and any auth (requests-oauthlib's OAuth 1.0a
        # signature) exactly as the backend expects; only the sending is Stint's.
        prepared = requests.Request(
            method, url, headers=headers, data=data, json=json, auth=auth, params=params
        ).prepare()
        try:
            answer = anyio.from_thread.run(send, strategy.stint, prepared, timeout)
        except httpx.TimeoutException as exc:
            raise social.AuthProviderError(self, code="timeout", stage=stage) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise social.AuthProviderError(self, code="connection_failed", stage=stage) from exc
        response = as_requests_response(answer, prepared)
        try:
            response.raise_for_status()
        except requests.HTTPError as error:
            raise http_error(self, error, stage=stage) from error
        return response


async def send(stint: Strategy, prepared: Any, seconds: float | None) -> httpx.Response:
    """One prepared request through the strategy's outbound client, within its timeout (or
    the backend's, if shorter)."""
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    limit = min(seconds, stint.timeout_seconds) if seconds else stint.timeout_seconds
    async with stint.http_client() as http:
        return await http.request(
            prepared.method,
            prepared.url,
            headers=dict(prepared.headers),
            content=body,
            timeout=limit,
        )


def as_requests_response(answer: httpx.Response, prepared: Any = None) -> Any:
    """The ``requests.Response`` social-core reads (status_code, headers, text, content,
    json(), raise_for_status()) for httpx's answer."""
    response = requests.Response()
    response.status_code = answer.status_code
    response.reason = answer.reason_phrase
    response.headers = CaseInsensitiveDict(answer.headers.items())
    response._content = answer.content
    response.encoding = answer.charset_encoding
    response.url = str(answer.url)
    response.request = prepared
    return response


def stint_state(self: Any) -> str:
    """The social backend's ``state``: this sign-in's, under which Stint keeps it pending."""
    return self.strategy.stint.state or self.strategy.random_string(32)  # type: ignore[no-any-return]


class SocialCoreAuth(BaseAuth):
    """A python-social-auth backend class, driven through Stint's backend contract."""

    SOCIAL_BACKEND: ClassVar[type[Any]]

    def social_backend(self, strategy: SocialCoreStrategy) -> Any:
        backend = self.SOCIAL_BACKEND(strategy, self.redirect_uri)
        backend.name = self.name  # session keys are the configured provider's
        return backend

    async def auth_url(self) -> str:
        return str(await self.run(lambda backend: backend.auth_url()))

    async def auth_complete(self, *args: Any, **kwargs: Any) -> UpstreamIdentity:
        def complete(backend: Any) -> UpstreamIdentity:
            self.validate_issuer(backend)
            return self.upstream_identity(backend.auth_complete())

        return await self.run(complete)

    def validate_issuer(self, backend: Any) -> None:
        """RFC 9207 §2.4, which social-core leaves out: an OpenID provider's answer naming
        another issuer, or none when the provider advertises the parameter, is refused before
        the code is redeemed (mix-up, RFC 9700 §4.4)."""
        if not isinstance(backend, SocialOpenIdConnect):
            return
        config = backend.oidc_config()
        iss = self.data.get("iss")
        if iss is None:
            if config.get("authorization_response_iss_parameter_supported") is True:
                raise AuthFailed(
                    self,
                    Text(
                        N_(
                            "The answer does not say it comes from this provider: it may come"
                            " from another provider."
                        )
                    ),
                )
        elif iss != config.get("issuer"):
            raise AuthFailed(self, Text(N_("The answer comes from another provider.")))

    async def run(self, step: Callable[[Any], T]) -> T:
        """``step`` with a social backend, in a worker thread, its errors made Stint's."""
        strategy = SocialCoreStrategy(self.strategy)

        def call() -> T:
            try:
                return step(self.social_backend(strategy))
            except Exception as exc:
                mapped = stint_exception(self, exc)
                if mapped is None:
                    raise
                raise mapped from exc

        try:
            with anyio.fail_after(self.strategy.timeout_seconds * CALLS_PER_STEP):
                return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        except TimeoutError as exc:
            raise AuthUnreachable(self) from exc

    def upstream_identity(self, completed: Any) -> UpstreamIdentity:
        """The person social-core handed to ``strategy.authenticate``."""
        if not isinstance(completed, Completed):
            raise AuthFailed(self, Text(N_("The provider's backend did not complete the sign-in.")))
        backend, response = completed.backend, completed.response
        details = backend.get_user_details(response)
        uid = backend.get_user_id(details, response)
        if uid is None or str(uid) == "":
            raise AuthFailed(self, Text(N_("The provider did not say who you are (no user id).")))
        # What social-core's load_extra_data step would store, less the credentials.
        pipeline = {"response": response, "details": details, "uid": str(uid)}
        extra = backend.extra_data(None, str(uid), response, details, pipeline)
        details = {name: "" if value is None else value for name, value in details.items()}
        return UpstreamIdentity(
            provider=self.name,
            uid=str(uid),
            details=details,
            email_verified=bool(details.get("email")) and email_verified(backend, response),
            extra_data={
                name: value
                for name, value in extra.items()
                if name not in SECRET_FIELDS and not name.startswith("_")
            },
            tokens={name: response[name] for name in TOKEN_FIELDS if response.get(name)},
            response=response,
        )


def email_verified(backend: Any, response: dict[str, Any]) -> bool:
    """Only what the provider asserted. OpenID Connect Core §5.1: ``email_verified`` true, from
    the claims the email came from (UserInfo, else the ID token); GitLab's API: the account's
    (primary) address was confirmed, ``confirmed_at``."""
    id_token = getattr(backend, "id_token", None)
    claims = response if "email" in response or not isinstance(id_token, dict) else id_token
    if claims.get("email_verified") is True:
        return True
    if isinstance(backend, GitLabOAuth2):
        return bool(response.get("confirmed_at"))
    return False


def stint_exception(backend: BaseAuth, exc: BaseException) -> AuthException | None:
    """Stint's exception for what a social backend raised; None for anything else (a bug)."""
    if isinstance(exc, AuthException):
        return exc
    if isinstance(exc, social.SocialAuthBaseException):
        # Its message is one of social-core's fixed, safe texts; the detail may quote the
        # provider, so only the code and stage are logged.
        log.info("%s: social-core %s at %s", backend.name, exc.code, exc.stage)
        return _from_social(backend, exc)
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 500
        return AuthUnreachable(backend) if status >= 500 else AuthFailed(backend)
    if isinstance(exc, requests.RequestException | httpx.TransportError | TimeoutError):
        return AuthUnreachable(backend)
    return None


def _from_social(backend: BaseAuth, exc: social.SocialAuthBaseException) -> AuthException:
    if isinstance(exc, social.AuthCanceled):
        return AuthCanceled(backend)
    if isinstance(exc, social.AuthInputError) and exc.code == "missing_parameter":
        if exc.parameter in ("state", "redirect_state"):
            return AuthStateMissing(backend)
        return AuthMissingParameter(backend, exc.parameter or "required parameter")
    if isinstance(exc, social.AuthSessionError):  # RFC 6749 §10.12: not this sign-in's answer
        return AuthStateForbidden(backend)
    if isinstance(exc, social.AuthProviderError) and exc.code in UNREACHABLE_CODES:
        return AuthUnreachable(backend)
    if isinstance(exc, social.AuthCredentialError) or exc.stage == "token_exchange":
        return AuthTokenError(backend)
    return AuthFailed(backend, str(exc))


@functools.cache
def adapt(backend_cls: type[Any]) -> type[BaseAuth]:
    """A Stint backend class driving ``backend_cls``, a python-social-auth backend class."""
    if not (isinstance(backend_cls, type) and issubclass(backend_cls, SocialAuth)):
        raise TypeError(f"{backend_cls!r} is not a python-social-auth backend class")
    name = backend_cls.__name__
    bridged = type(
        name,
        (backend_cls, OutboundBridge),
        {"__module__": backend_cls.__module__, "__qualname__": name, "state_token": stint_state},
    )
    adapted: type[SocialCoreAuth] = type(
        name,
        (SocialCoreAuth,),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"{backend_cls.__module__}.{name}, through Stint's social-core adapter.",
            "SOCIAL_BACKEND": bridged,
            "name": backend_cls.name,
            "ID_KEY": backend_cls.ID_KEY or BaseAuth.ID_KEY,
            "EXTRA_DATA": backend_cls.EXTRA_DATA,
            "REQUIRES_EMAIL_VALIDATION": backend_cls.REQUIRES_EMAIL_VALIDATION,
        },
    )
    return adapted
