"""Verifying a compact JWS a client signed (RFC 7515 §5.2) with a key from its JWK Set: the
keys are chosen by ``kid``, key type, ``use``, ``alg`` and ``key_ops`` (RFC 7517 §4)."""

from __future__ import annotations

from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import JWKRegistry, Key

from stint.protocol.jws import rsa_modulus_bits

__all__ = ["SIGNED_ALGS", "verify_client_jws"]

SIGNED_ALGS: tuple[str, ...] = ("RS256", "PS256", "ES256")
_KEY_TYPE = {"RS256": ("RSA", None), "PS256": ("RSA", None), "ES256": ("EC", "P-256")}
# Only public members are imported, so a private key registered by mistake verifies all the same.
_PUBLIC_MEMBERS = {"RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y")}
_MAX_CANDIDATES = 8  # a JWKS without kids: try a few keys, not arbitrarily many
# PS256 is not among joserfc's "recommended" algorithms: allow exactly our set.
_REGISTRY = jws.JWSRegistry(algorithms=list(SIGNED_ALGS))


def verify_client_jws(token: str, alg: str, kid: Any, jwks: dict[str, Any] | None) -> bytes | None:
    """The payload if one of the client's keys verifies ``token`` with ``alg``, else None."""
    for key in _candidates(alg, kid, jwks)[:_MAX_CANDIDATES]:
        try:
            verified = jws.deserialize_compact(token, key, algorithms=[alg], registry=_REGISTRY)
        except BadSignatureError:
            continue
        except (JoseError, ValueError):
            return None  # malformed: no other key would do better
        return verified.payload
    return None


def _candidates(alg: str, kid: Any, jwks: dict[str, Any] | None) -> list[Key]:
    kty, crv = _KEY_TYPE[alg]
    keys = (jwks or {}).get("keys")
    found: list[Key] = []
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != kty:
            continue
        if crv is not None and jwk.get("crv") != crv:
            continue
        if isinstance(kid, str) and jwk.get("kid") != kid:
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
            continue  # an encryption key, or one pinned to another algorithm (§4.2, §4.4)
        ops = jwk.get("key_ops")
        if isinstance(ops, list) and "verify" not in ops:
            continue
        if kty == "RSA" and rsa_modulus_bits(jwk.get("n")) < 2048:
            continue  # RFC 7518 §3.3: 2048 bits or more
        try:
            found.append(JWKRegistry.import_key({m: jwk[m] for m in _PUBLIC_MEMBERS[kty]}))
        except (JoseError, ValueError, TypeError, KeyError):
            continue  # a malformed key verifies nothing; another one may
    return found
