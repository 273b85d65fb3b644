"""The access token request (RFC 6749 §4.1.3-4.1.4), made with Authlib's ``AsyncOAuth2Client``
over the strategy's outbound transport, its failures turned into python-social-auth's errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import httpx

from stint.connectors.authlib_clients import AsyncOAuth2Client, OAuthError
from stint.connectors.exceptions import AuthFailed, AuthTokenError, AuthUnreachable
from stint.protocol.texts import N_, Text

if TYPE_CHECKING:
    from stint.connectors.base import BaseAuth

__all__ = ["TOKEN_FIELDS", "form_encoded_token_response", "request_token"]

# What of a token answer is a credential (kept only sealed, and only if the operator asks).
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_in", "token_type", "scope", "id_token")
_FORM_TYPES = ("application/x-www-form-urlencoded", "text/plain")


def form_encoded_token_response(response: httpx.Response) -> httpx.Response:
    """GitHub answers ``access_token=...&token_type=bearer`` unless asked for JSON (and some
    older providers send text/plain): hand Authlib the same fields as JSON."""
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type not in _FORM_TYPES:
        return response
    fields = dict(parse_qsl(response.text, keep_blank_values=True))
    if not fields:
        return response
    return httpx.Response(response.status_code, json=fields, request=response.request)


async def request_token(
    backend: BaseAuth,
    url: str,
    params: dict[str, str],
    *,
    client_id: str,
    client_secret: str,
    method: str = "POST",
    auth_method: str = "client_secret_post",
) -> dict[str, Any]:
    """Redeem the code; a refusal is AuthTokenError, an unreachable provider AuthUnreachable."""
    strategy = backend.strategy
    if auth_method not in ("client_secret_post", "client_secret_basic", "none"):
        raise AuthFailed(  # the operator's setting: a clear page, not a 500
            backend,
            Text(
                N_("This provider is not fully configured (%(setting)s)."),
                setting="TOKEN_ENDPOINT_AUTH_METHOD",
            ),
        )
    async with AsyncOAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method=auth_method,
        transport=strategy.transport,
        timeout=httpx.Timeout(strategy.timeout_seconds),
        follow_redirects=False,
        trust_env=False,  # no proxies or .netrc credentials from the environment
    ) as client:
        client.register_compliance_hook("access_token_response", form_encoded_token_response)
        extra: dict[str, Any] = {}
        if method.upper() == "GET":
            # Authlib would put client_secret_post's fields in a GET's body; they go in the
            # query, with the other parameters, as python-social-auth sends them.
            if auth_method == "client_secret_basic":
                extra["auth"] = httpx.BasicAuth(client_id, client_secret)
            else:
                params = {**params, "client_id": client_id}
                if auth_method == "client_secret_post":
                    params["client_secret"] = client_secret
                extra["auth"] = httpx.Auth()  # nothing more to add
        try:
            token = await client.fetch_token(
                url, method=method, grant_type="authorization_code", **params, **extra
            )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code >= 500:
                raise AuthUnreachable(backend) from exc
            raise AuthTokenError(backend) from exc
        except httpx.HTTPError as exc:  # timeouts, refused connections, oversized answers
            raise AuthUnreachable(backend) from exc
        except OAuthError as exc:  # RFC 6749 §5.2: the provider's error code is safe to show
            code = str(getattr(exc, "error", "") or "error")[:64]
            raise AuthTokenError(
                backend, Text(N_("The provider refused the sign-in (%(error)s)."), error=code)
            ) from exc
        except ValueError as exc:  # not a JSON object
            raise AuthTokenError(backend) from exc
    answer = dict(token)
    if not isinstance(answer.get("access_token"), str) or not answer["access_token"]:
        raise AuthTokenError(backend)
    return answer
