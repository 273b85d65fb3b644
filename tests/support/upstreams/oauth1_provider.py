"""An OAuth 1.0a provider (RFC 5849) made of oauthlib's server classes behind a WSGI app, to serve
on loopback with ``serve_wsgi``.

``POST /oauth/request_token`` (temporary credentials, §2.1), ``GET /oauth/authorize`` (the person
approves at once: a redirect to the callback with ``oauth_verifier``, §2.2), ``POST
/oauth/access_token`` (token credentials, §2.3) and ``GET /account``, a protected JSON resource
(§3). The validator keeps everything in memory; a request token is good for one exchange.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.util import request_uri

from oauthlib.oauth1 import (
    AccessTokenEndpoint,
    AuthorizationEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
)
from oauthlib.oauth1.rfc5849.errors import OAuth1Error
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

__all__ = ["FakeOAuth1Provider", "OAuth1Account"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Headers = dict[str, str]


@dataclass
class OAuth1Account:
    id: str = "1001"
    screen_name: str = "tripper"
    name: str = "Trip Per"
    email: str = "tripper@example.com"


@dataclass
class _RequestToken:
    client_key: str
    secret: str
    callback: str
    verifier: str = ""
    account: OAuth1Account | None = None


@dataclass
class _AccessToken:
    client_key: str
    secret: str
    account: OAuth1Account


@dataclass
class Records:
    """What the provider holds: tokens by value, nonces seen (RFC 5849 §3.3)."""

    request_tokens: dict[str, _RequestToken] = field(default_factory=dict)
    access_tokens: dict[str, _AccessToken] = field(default_factory=dict)
    nonces: set[tuple[str, str, str, str]] = field(default_factory=set)


class Validator(RequestValidator):  # type: ignore[misc]
    """oauthlib's storage hooks, over ``Records``; one registered client and callback."""

    def __init__(self, provider: FakeOAuth1Provider) -> None:
        super().__init__()
        self.provider = provider

    enforce_ssl = False  # loopback tests; a real provider requires TLS
    nonce_length = (20, 64)

    @property
    def records(self) -> Records:
        return self.provider.records

    dummy_client = "DummyClientKey00000000"
    dummy_request_token = "DummyRequestToken00000"
    dummy_access_token = "DummyAccessToken000000"

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self.provider.client_key

    def get_client_secret(self, client_key: str, request: Any) -> str:
        if client_key == self.provider.client_key:
            return self.provider.client_secret
        return "dummy-secret"

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        seen = (client_key, timestamp, nonce, request_token or access_token or "")
        if seen in self.records.nonces:
            return False
        self.records.nonces.add(seen)
        return True

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Any) -> bool:
        """The registered callback; its query may differ (Stint's ``redirect_state``)."""
        return urlsplit(redirect_uri)._replace(query="").geturl() == self.provider.callback

    def get_default_realms(self, client_key: str, request: Any) -> list[str]:
        return []

    def validate_requested_realms(self, client_key: str, realms: list[str], request: Any) -> bool:
        return True

    def save_request_token(self, token: dict[str, str], request: Any) -> None:
        self.records.request_tokens[token["oauth_token"]] = _RequestToken(
            request.client_key, token["oauth_token_secret"], request.redirect_uri
        )

    def verify_request_token(self, token: str, request: Any) -> bool:
        return token in self.records.request_tokens

    def get_realms(self, token: str, request: Any) -> list[str]:
        return []

    def get_redirect_uri(self, token: str, request: Any) -> str:
        return self.records.request_tokens[token].callback

    def save_verifier(self, token: str, verifier: dict[str, str], request: Any) -> None:
        held = self.records.request_tokens[token]
        held.verifier = verifier["oauth_verifier"]
        held.account = self.provider.account

    def validate_request_token(self, client_key: str, token: str, request: Any) -> bool:
        held = self.records.request_tokens.get(token)
        return held is not None and held.client_key == client_key

    def get_request_token_secret(self, client_key: str, token: str, request: Any) -> str:
        held = self.records.request_tokens.get(token)
        return held.secret if held else "dummy-secret"

    def validate_verifier(self, client_key: str, token: str, verifier: str, request: Any) -> bool:
        held = self.records.request_tokens.get(token)
        return held is not None and bool(held.verifier) and held.verifier == verifier

    def invalidate_request_token(self, client_key: str, request_token: str, request: Any) -> None:
        """RFC 5849 §2.3: temporary credentials are good for one exchange."""
        self.records.request_tokens.pop(request_token, None)

    def save_access_token(self, token: dict[str, str], request: Any) -> None:
        held = self.records.request_tokens[request.resource_owner_key]
        assert held.account is not None
        self.records.access_tokens[token["oauth_token"]] = _AccessToken(
            request.client_key, token["oauth_token_secret"], held.account
        )

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        held = self.records.access_tokens.get(token)
        return held is not None and held.client_key == client_key

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        held = self.records.access_tokens.get(token)
        return held.secret if held else "dummy-secret"

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True


@dataclass
class FakeOAuth1Provider:
    """One provider, one registered consumer, one person who approves every request."""

    url: str = ""  # where it is served (set by the test's fixture)
    client_key: str = "StintConsumerKey000001"  # oauthlib: 20-30 letters and digits
    client_secret: str = "StintConsumerSecret0001"
    callback: str = ""  # the consumer's registered callback URI
    account: OAuth1Account = field(default_factory=OAuth1Account)
    deny: bool = False
    records: Records = field(default_factory=Records)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (method, path) served

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI app: one route per step of RFC 5849 §2, and the protected resource."""
        validator = Validator(self)
        method = environ["REQUEST_METHOD"]
        uri = request_uri(environ)  # the URI the consumer signed (§3.4.1.2)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode() if length else ""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        path = environ["PATH_INFO"]
        self.seen.append((method, path))
        if path == "/oauth/request_token" and method == "POST":
            answer = RequestTokenEndpoint(validator).create_request_token_response(
                uri, method, body, headers
            )
        elif path == "/oauth/authorize" and method == "GET":
            answer = self._authorize(validator, uri)
        elif path == "/oauth/access_token" and method == "POST":
            answer = AccessTokenEndpoint(validator).create_access_token_response(
                uri, method, body, headers, credentials=self._who(headers)
            )
        elif path == "/account" and method == "GET":
            answer = self._account(validator, uri, method, body, headers)
        else:
            answer = ({}, "not found", 404)
        return _send(start_response, *answer)

    def _who(self, headers: Headers) -> dict[str, str]:
        """Who the token credentials are for, in the answer as Twitter puts it there."""
        try:
            params = dict(parse_authorization_header(headers.get("Authorization", "")))
        except ValueError:
            return {}
        held = self.records.request_tokens.get(params.get("oauth_token", ""))
        if held is None or held.account is None:
            return {}
        return {"user_id": held.account.id, "screen_name": held.account.screen_name}

    def _authorize(self, validator: Validator, uri: str) -> tuple[Headers, str, int]:
        endpoint = AuthorizationEndpoint(validator)
        try:
            realms, _ = endpoint.get_realms_and_credentials(uri)
        except OAuth1Error as error:
            return {}, error.urlencoded, error.status_code
        if self.deny:
            token = parse_qs(urlsplit(uri).query)["oauth_token"][0]
            callback = self.records.request_tokens.pop(token).callback
            separator = "&" if "?" in callback else "?"
            return {"Location": f"{callback}{separator}denied={token}"}, "", 302
        headers, body, status = endpoint.create_authorization_response(uri, realms=realms)
        return headers, body or "", status

    def _account(
        self, validator: Validator, uri: str, method: str, body: str, headers: Headers
    ) -> tuple[Headers, str, int]:
        valid, request = ResourceEndpoint(validator).validate_protected_resource_request(
            uri, method, body, headers
        )
        if not valid:
            return {"WWW-Authenticate": 'OAuth realm="account"'}, "unauthorized", 401
        account = self.records.access_tokens[request.resource_owner_key].account
        content = json.dumps(account.__dict__)
        return {"Content-Type": "application/json"}, content, 200


def _send(
    start_response: StartResponse, headers: Headers, body: str | None, status: int
) -> list[bytes]:
    reasons = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    start_response(f"{status} {reasons.get(status, 'Error')}", list(all_headers.items()))
    return [(body or "").encode()]
