"""Validating an upstream provider's ID token (OpenID Connect Core 1.0 §3.1.3.7).

Pure: the caller brings the provider's JWK Set, what it expects, and the time. Each refusal
says why, for the operator's log; the person signing in is told only that it was refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson

from stint.protocol.jws import audiences, b64url, segment_json
from stint.protocol.oidc.client_signatures import SIGNED_ALGS, verify_client_jws

__all__ = ["IdTokenExpectations", "IdTokenRejected", "id_token_header", "validate_id_token"]


class IdTokenRejected(ValueError):
    """The ID token fails a rule of §3.1.3.7; the message names the rule, never the token."""


@dataclass(frozen=True)
class IdTokenExpectations:
    issuers: Collection[str]  # usually one; Google documents two spellings of its own
    client_id: str
    nonce: str
    # The provider's id_token_signing_alg_values_supported. Only asymmetric algorithms are ever
    # accepted: "none" and HS* (keyed with our client secret) never verify against a JWKS.
    algorithms: Collection[str]
    now: float
    leeway_seconds: float = 60.0
    access_token: str | None = None  # to check at_hash against, when the token carries one


def id_token_header(id_token: str) -> dict[str, Any]:
    """The JOSE header, unverified: which key and algorithm to verify with."""
    if id_token.count(".") != 2:
        # §3.1.3.7 step 1 allows encrypted ID tokens; Stint registers no encryption key.
        raise IdTokenRejected("not a compact JWS (an encrypted or malformed ID token)")
    try:
        return segment_json(id_token, 0)
    except ValueError as exc:
        raise IdTokenRejected("malformed JOSE header") from exc


def validate_id_token(
    id_token: str, jwks: dict[str, Any], expected: IdTokenExpectations
) -> dict[str, Any]:
    """The claims of a valid ID token; IdTokenRejected otherwise."""
    header = id_token_header(id_token)
    alg = header.get("alg")
    # §3.1.3.7 steps 6-8: the alg must be one the provider uses, and one we verify with a JWKS.
    allowed = [a for a in expected.algorithms if a in SIGNED_ALGS]
    if not isinstance(alg, str) or alg not in allowed:
        raise IdTokenRejected(f"alg {str(alg)[:16]!r} is not one of {allowed}")
    payload = verify_client_jws(id_token, alg, header.get("kid"), jwks)
    if payload is None:
        raise IdTokenRejected("the signature does not verify with the provider's keys")
    try:
        claims = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise IdTokenRejected("the payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise IdTokenRejected("the payload is not a JSON object")
    _check_claims(claims, expected)
    return claims


def _check_claims(claims: dict[str, Any], expected: IdTokenExpectations) -> None:
    # Step 2: iss exactly equals the issuer.
    if claims.get("iss") not in expected.issuers:
        raise IdTokenRejected("iss is not the provider's issuer")
    # Step 3: aud contains our client_id.
    audience = audiences(claims.get("aud"))
    if expected.client_id not in audience:
        raise IdTokenRejected("aud does not contain our client_id")
    azp = claims.get("azp")
    # Steps 4-5: several audiences need azp; an azp present must be us (an ID token issued to
    # another client, replayed at us, is refused here).
    if len(audience) > 1 and azp is None:
        raise IdTokenRejected("several audiences and no azp")
    if azp is not None and azp != expected.client_id:
        raise IdTokenRejected("azp is not our client_id")
    exp, iat = _number(claims.get("exp")), _number(claims.get("iat"))
    # Step 9: not expired (with a small leeway for clock skew).
    if exp is None or expected.now > exp + expected.leeway_seconds:
        raise IdTokenRejected("expired, or no exp")
    # Step 10: iat is required (§2); one in the future means a wrong clock or a forged token.
    if iat is None or iat > expected.now + expected.leeway_seconds:
        raise IdTokenRejected("iat missing or in the future")
    # Step 11: the nonce we sent, compared in constant time (it binds the token to this sign-in).
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(
        nonce.encode(), expected.nonce.encode()
    ):
        raise IdTokenRejected("nonce is not this sign-in's")
    # §2: sub is a non-empty string of at most 255 ASCII characters.
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise IdTokenRejected("sub missing or malformed")
    # §3.1.3.8: an at_hash present binds the access token to this ID token; check it.
    at_hash = claims.get("at_hash")
    if at_hash is not None and expected.access_token is not None:
        digest = hashlib.sha256(expected.access_token.encode()).digest()  # all our algs: SHA-256
        if not isinstance(at_hash, str) or not hmac.compare_digest(
            at_hash.encode(), b64url(digest[: len(digest) // 2])
        ):
            raise IdTokenRejected("at_hash does not match the access token")


def _number(value: Any) -> float | None:
    """A NumericDate (RFC 7519 §2), or None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
