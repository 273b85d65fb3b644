"""Signed authentication requests (CIBA Core §7.1.1): the parameters as claims of a JWT the
client signed with one of its registered keys, accepted once."""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from stint.protocol.ciba.ports import JtiReplayStore
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidRequestError
from stint.protocol.jws import audiences, b64url_decode
from stint.protocol.oidc.client_signatures import SIGNED_ALGS, verify_client_jws
from stint.protocol.oidc.ports import ClientKeys, FetchFailedError

__all__ = ["AUTHENTICATION_PARAMETERS", "MAX_LIFETIME_SECONDS", "SignedRequests"]

# §7.1: the parameters of the authentication request (they go inside the JWT when signed).
AUTHENTICATION_PARAMETERS = frozenset(
    {
        "scope",
        "client_notification_token",
        "acr_values",
        "login_hint_token",
        "id_token_hint",
        "login_hint",
        "binding_message",
        "user_code",
        "requested_expiry",
        "claims",
    }
)
_REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "nbf", "jti")  # §7.1.1
_JWT_CLAIMS = frozenset(_REQUIRED_CLAIMS)
MAX_LIFETIME_SECONDS = 3600  # exp - nbf; the FAPI CIBA profile's limit (§5.2.2 item 4)
_LEEWAY_SECONDS = 30  # clock skew allowed on exp, nbf and iat
_MAX_BYTES = 64 * 1024


class SignedRequests:
    def __init__(self, issuer: str, client_keys: ClientKeys, jtis: JtiReplayStore) -> None:
        self._issuer = issuer
        self._client_keys = client_keys
        self._jtis = jtis

    async def parameters(
        self, params: Mapping[str, str], client: Client, now: datetime
    ) -> dict[str, str]:
        """The request's parameters: from its signed ``request`` JWT when it has one (required
        when the client registered backchannel_authentication_request_signing_alg)."""
        registered = client.meta("backchannel_authentication_request_signing_alg")
        token = params.get("request")
        if token is None:
            if registered:
                raise InvalidRequestError(f"this client must sign its requests ({registered})")
            return dict(params)
        # §7.1.1: authentication request parameters MUST NOT appear outside the JWT.
        outside = sorted(AUTHENTICATION_PARAMETERS & params.keys())
        if outside:
            raise InvalidRequestError(f"outside the signed request: {', '.join(outside)}")
        claims = await self._verified(token, client, registered)
        await self._check(claims, client, now)
        carried = {k: _as_parameter(v) for k, v in claims.items() if k not in _JWT_CLAIMS}
        # Client authentication parameters stay in the form, beside the JWT.
        return {**{k: v for k, v in params.items() if k != "request"}, **carried}

    async def _verified(self, token: str, client: Client, registered: Any) -> dict[str, Any]:
        if len(token) > _MAX_BYTES or token.count(".") != 2:
            raise InvalidRequestError("request is not a signed JWT")
        header = _json_object(token.split(".")[0])
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in SIGNED_ALGS:
            # §7.1.1: "none" is never acceptable; a signed request is signed.
            raise InvalidRequestError(f"unsupported request alg: {alg!r:.40}")
        if registered and alg != registered:
            raise InvalidRequestError(f"requests must be signed with {registered}")
        try:
            jwks = await self._client_keys.jwks(client)
        except FetchFailedError as exc:
            raise InvalidRequestError(f"the client's jwks_uri failed: {exc}") from None
        payload = verify_client_jws(token, alg, header.get("kid"), jwks)
        if payload is None:
            raise InvalidRequestError("the request's signature does not verify")
        return _json_object(payload)

    async def _check(self, claims: dict[str, Any], client: Client, now: datetime) -> None:
        missing = [name for name in _REQUIRED_CLAIMS if name not in claims]
        if missing:
            raise InvalidRequestError(f"the signed request lacks {', '.join(missing)}")
        if claims["iss"] != client.client_id:
            raise InvalidRequestError("the signed request's iss must be the client_id")
        if self._issuer not in audiences(claims["aud"]):
            raise InvalidRequestError("the signed request's aud must be this issuer")
        exp, nbf, iat, jti = claims["exp"], claims["nbf"], claims["iat"], claims["jti"]
        if not all(_is_number(v) for v in (exp, nbf, iat)):
            raise InvalidRequestError("exp, nbf and iat must be numbers")
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            raise InvalidRequestError("jti must be a string")
        seconds = now.timestamp()
        if exp <= seconds - _LEEWAY_SECONDS:
            raise InvalidRequestError("the signed request has expired")
        if nbf > seconds + _LEEWAY_SECONDS or iat > seconds + _LEEWAY_SECONDS:
            raise InvalidRequestError("the signed request is not valid yet")
        if exp - nbf > MAX_LIFETIME_SECONDS:
            raise InvalidRequestError("the signed request lives longer than 60 minutes")
        # §7.1.1 jti: the JWT is used once; remembered until it expires.
        expires_at = datetime.fromtimestamp(exp + _LEEWAY_SECONDS, UTC)
        if not await self._jtis.first_use(client.client_id, jti, expires_at):
            raise InvalidRequestError("the signed request was already used")


def _json_object(segment: str | bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(b64url_decode(segment) if isinstance(segment, str) else segment)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("request is not a signed JWT") from None
    if not isinstance(value, dict):
        raise InvalidRequestError("request is not a signed JWT")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_parameter(value: Any) -> str:
    """The string a form would carry: requested_expiry may be a number (§7.1.1), claims JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return orjson.dumps(value).decode("utf-8")
