"""Request objects, by value (``request``) and by reference (``request_uri``): OpenID Connect
Core §6 and RFC 9101 (JWT-Secured Authorization Request)."""

from __future__ import annotations

import binascii
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from stint.protocol.clients import Client
from stint.protocol.errors import (
    InvalidRequestError,
    InvalidRequestObjectError,
    InvalidRequestUriError,
    RequestUriNotSupportedError,
)
from stint.protocol.jws import audiences, b64url_decode
from stint.protocol.oidc.client_signatures import SIGNED_ALGS, verify_client_jws
from stint.protocol.oidc.ports import ClientKeys, DocumentFetcher, FetchFailedError

__all__ = ["REQUEST_OBJECT_ACCEPT", "REQUEST_OBJECT_ALGS", "RequestObjects"]

REQUEST_OBJECT_ACCEPT = "application/oauth-authz-req+jwt, application/jwt"  # RFC 9101 §10.2
#: For discovery's request_object_signing_alg_values_supported
REQUEST_OBJECT_ALGS: tuple[str, ...] = (*SIGNED_ALGS, "none")
_MAX_URI_LENGTH = 2048  # §6.2 asks clients for at most 512 characters; be lenient, but bounded
_LEEWAY_SECONDS = 30  # clock skew allowed on exp and nbf
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
# JWT claims about the object itself (RFC 7519 §4.1): not authorization request parameters.
_JWT_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti", "sub"})


class RequestObjects:
    """Turns an authorization request carrying ``request`` or ``request_uri`` into the plain
    parameters the authorization checks read."""

    def __init__(
        self,
        issuer: str,
        fetcher: DocumentFetcher,
        client_keys: ClientKeys,
        *,
        by_reference_enabled: bool = True,
        max_bytes: int = 64 * 1024,
        allow_http: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer = issuer
        self._fetcher = fetcher
        self._client_keys = client_keys
        self._by_reference_enabled = by_reference_enabled
        self._max_bytes = max_bytes
        self._allow_http = allow_http  # request_uri over http: development and tests only
        self._clock = clock

    @property
    def by_reference_enabled(self) -> bool:
        return self._by_reference_enabled

    async def apply(self, params: Mapping[str, str], client: Client) -> dict[str, str]:
        """The parameters with the object's merged in; ``params`` as they are without one."""
        value = params.get("request")
        uri = params.get("request_uri")
        if value is None and uri is None:
            return dict(params)
        if value is not None and uri is not None:
            # OIDC Core §6: request and request_uri MUST NOT be used together.
            raise InvalidRequestError("request and request_uri cannot be used together")
        if uri is not None:
            value = await self._fetch(uri, client)
        elif len(value or "") > self._max_bytes:
            raise InvalidRequestObjectError("the request object is too large")
        claims, signed = await self._decode(value or "", client)
        carried = self._checked(claims, params, client, signed=signed)
        # OIDC Core §6.3.3: the object's values supersede the query's, and parameters only in
        # the query are kept. RFC 9101 §6.3 would use the object's values alone; we follow
        # OIDC Core because the OpenID certification tests expect it.
        merged = {k: v for k, v in params.items() if k not in ("request", "request_uri")}
        merged.update(carried)
        return merged

    async def _fetch(self, uri: str, client: Client) -> str:
        """OIDC Core §6.2, RFC 9101 §5.2.3: the object the ``request_uri`` points at."""
        if not self._by_reference_enabled:
            raise RequestUriNotSupportedError("request_uri is not supported")
        location = uri.partition("#")[0]  # a fragment may carry the object's hash (§6.2)
        try:
            parts = urlsplit(location)
        except ValueError:
            raise InvalidRequestUriError("request_uri is not a URL") from None
        schemes = ("https", "http") if self._allow_http else ("https",)
        if len(uri) > _MAX_URI_LENGTH or parts.scheme not in schemes or not parts.hostname:
            raise InvalidRequestUriError("request_uri must be an https URL")
        if parts.username is not None or parts.password is not None:
            raise InvalidRequestUriError("request_uri must not carry credentials")
        registered = client.meta("request_uris")
        # Registration §2, RFC 9101 §10.4.1: only URLs the client registered are fetched, so an
        # authorization request cannot make us call any URL (discovery's
        # require_request_uri_registration says so).
        listed = registered if isinstance(registered, list) else ()
        allowed = {r.partition("#")[0] for r in listed if isinstance(r, str)}
        if location not in allowed:
            raise InvalidRequestUriError("request_uri is not registered for this client")
        try:
            body = await self._fetcher.fetch(location, accept=REQUEST_OBJECT_ACCEPT)
        except FetchFailedError as exc:
            raise InvalidRequestUriError(f"the request_uri {exc}", detail=location) from None
        if len(body) > self._max_bytes:
            raise InvalidRequestObjectError("the request object is too large")
        try:
            return body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise InvalidRequestObjectError("the request_uri does not hold a JWT") from None

    async def _decode(self, token: str, client: Client) -> tuple[dict[str, Any], bool]:
        """The object's claims, and whether it was signed (OIDC Core §6.1, RFC 9101 §6.2)."""
        segments = token.split(".")
        if len(segments) == 5:
            raise InvalidRequestObjectError("encrypted request objects are not supported")
        if len(segments) != 3 or not all(_SEGMENT.fullmatch(s) for s in segments):
            raise InvalidRequestObjectError("the request object is not a JWT")
        header = _json_object(segments[0], "header")
        alg = header.get("alg")
        registered = client.meta("request_object_signing_alg")
        if alg == "none":
            # OIDC Core §6.1 allows unsigned objects (RFC 9101 §10.4 discourages them): only for
            # clients that did not register a signing algorithm, or registered "none".
            if registered not in (None, "none"):
                raise InvalidRequestObjectError(f"request objects must be signed with {registered}")
            if segments[2]:
                raise InvalidRequestObjectError("an unsigned request object has no signature")
            if "crit" in header:  # RFC 7515 §4.1.11: no extension is understood here
                raise InvalidRequestObjectError("unsupported crit header parameter")
            return _json_object(segments[1], "payload"), False
        if not isinstance(alg, str) or alg not in SIGNED_ALGS:
            raise InvalidRequestObjectError(f"unsupported request object alg: {alg!r:.40}")
        if registered is not None and alg != registered:
            # Registration §2: request_object_signing_alg, once registered, is the only one.
            raise InvalidRequestObjectError(f"request objects must be signed with {registered}")
        try:
            jwks = await self._client_keys.jwks(client)
        except FetchFailedError as exc:
            raise InvalidRequestObjectError(f"the client's jwks_uri failed: {exc}") from None
        payload = verify_client_jws(token, alg, header.get("kid"), jwks)
        if payload is None:
            raise InvalidRequestObjectError("the request object's signature does not verify")
        return _json_object(payload, "payload"), True

    def _checked(
        self, claims: dict[str, Any], params: Mapping[str, str], client: Client, *, signed: bool
    ) -> dict[str, str]:
        """The object's claims as request parameters, after RFC 9101 §4, §5, §6.3's checks."""
        if "request" in claims or "request_uri" in claims:
            raise InvalidRequestObjectError("a request object cannot contain request/request_uri")
        if "client_id" in claims and claims["client_id"] != client.client_id:
            raise InvalidRequestObjectError("the request object's client_id does not match")
        if signed and "iss" in claims and claims["iss"] != client.client_id:
            raise InvalidRequestObjectError("the request object's iss must be the client_id")
        if signed and "aud" in claims and self._issuer not in audiences(claims["aud"]):
            raise InvalidRequestObjectError("the request object's aud must be this issuer")
        now = self._clock()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if exp is not None and (not _is_number(exp) or exp < now - _LEEWAY_SECONDS):
            raise InvalidRequestObjectError("the request object has expired")
        if nbf is not None and (not _is_number(nbf) or nbf > now + _LEEWAY_SECONDS):
            raise InvalidRequestObjectError("the request object is not valid yet")
        carried = {
            name: _as_parameter(value)
            for name, value in claims.items()
            if name not in _JWT_CLAIMS and value is not None and value != ""
        }
        # OIDC Core §6.1: response_type in the object and in the query MUST match.
        query_type = params.get("response_type")
        object_type = carried.get("response_type")
        if query_type and object_type and set(query_type.split()) != set(object_type.split()):
            raise InvalidRequestObjectError("the request object's response_type does not match")
        return carried


def _json_object(segment: str | bytes, what: str) -> dict[str, Any]:
    try:
        raw = b64url_decode(segment) if isinstance(segment, str) else segment
        value = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidRequestObjectError(f"the request object's {what} is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidRequestObjectError(f"the request object's {what} is not a JSON object")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_parameter(value: Any) -> str:
    """The string a query would carry: JSON for objects and arrays (``claims``, §5.5)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return orjson.dumps(value).decode("utf-8")
