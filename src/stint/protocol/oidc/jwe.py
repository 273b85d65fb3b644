"""Encrypted ID tokens and UserInfo responses (OIDC Core §10.2, OIDC Registration §2).

A client that registers ``id_token_encrypted_response_alg`` (or the ``userinfo_`` one) gets its
response as a compact JWE: to a public key from its JWKS for RSA-OAEP / ECDH-ES, or to a key
derived from its client secret for the symmetric algorithms (OIDC Core §10.2).
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key, OctKey

from stint.protocol.jws import rsa_modulus_bits

__all__ = [
    "CONTENT_ENCRYPTIONS",
    "DEFAULT_CONTENT_ENCRYPTION",
    "KEY_ALGORITHMS",
    "SYMMETRIC_KEY_ALGORITHMS",
    "EncryptionError",
    "derive_symmetric_key",
    "encrypt_for_client",
]

# Key types per asymmetric alg (RFC 7518 §4.3, §4.6; RFC 8037 §3.2 for X25519/X448), and the
# "key_ops" that allow it (RFC 7517 §4.3). RSA1_5 is left out on purpose (RFC 9700 §2.2, weak).
_ASYMMETRIC: dict[str, tuple[str, ...]] = {
    "RSA-OAEP": ("RSA",),
    "RSA-OAEP-256": ("RSA",),
    "ECDH-ES": ("EC", "OKP"),
    "ECDH-ES+A128KW": ("EC", "OKP"),
    "ECDH-ES+A256KW": ("EC", "OKP"),
}
_KEY_OPS = {"RSA": {"encrypt", "wrapKey"}, "EC": {"deriveKey", "deriveBits"}}
_KEY_OPS["OKP"] = _KEY_OPS["EC"]
_OKP_EXCHANGE_CURVES = ("X25519", "X448")  # Ed25519/Ed448 sign; they cannot agree on a key
# Symmetric algs: key size in bits; "dir" uses the size of the enc's CEK (RFC 7518 §4.4, §4.5).
_SYMMETRIC: dict[str, int | None] = {"A128KW": 128, "A256KW": 256, "dir": None}
_CEK_BITS = {
    "A128CBC-HS256": 256,
    "A192CBC-HS384": 384,
    "A256CBC-HS512": 512,
    "A128GCM": 128,
    "A192GCM": 192,
    "A256GCM": 256,
}

KEY_ALGORITHMS: tuple[str, ...] = (*_ASYMMETRIC, *_SYMMETRIC)
SYMMETRIC_KEY_ALGORITHMS: tuple[str, ...] = tuple(_SYMMETRIC)
CONTENT_ENCRYPTIONS: tuple[str, ...] = tuple(_CEK_BITS)
#: Registration §2: with only ``*_encrypted_response_alg`` registered, enc defaults to this
DEFAULT_CONTENT_ENCRYPTION = "A128CBC-HS256"


@functools.cache
def _registry() -> Any:
    """joserfc's JWE module, loaded on first use: most deployments never encrypt anything.

    RSA-OAEP-256 is sound but not on joserfc's "recommended" list: allow exactly our set.
    """
    from joserfc import jwe

    return jwe, jwe.JWERegistry(algorithms=[*KEY_ALGORITHMS, *CONTENT_ENCRYPTIONS])


class EncryptionError(Exception):
    """The response cannot be encrypted for this client as registered."""


def derive_symmetric_key(client_secret: str, bits: int) -> bytes:
    """OIDC Core §10.2: SHA-256 (≤ 256 bits), SHA-384 (≤ 384) or SHA-512 (≤ 512) of the UTF-8
    client secret, left-truncated to ``bits``."""
    if bits > 512 or bits % 8:
        raise EncryptionError(f"no key derivation from client_secret for {bits} bits")
    hash_name = "sha256" if bits <= 256 else "sha384" if bits <= 384 else "sha512"
    return hashlib.new(hash_name, client_secret.encode()).digest()[: bits // 8]


def _select_encryption_key(alg: str, client_jwks: dict[str, Any] | None) -> Key:
    """The first usable key for ``alg``, those marked ``"use": "enc"`` before those with no use."""
    marked: list[Key] = []
    unmarked: list[Key] = []
    keys = (client_jwks or {}).get("keys")
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") not in _ASYMMETRIC[alg]:
            continue
        if jwk.get("use", "enc") != "enc" or jwk.get("alg", alg) != alg:
            continue  # a signing key, or one the client pinned to another alg (RFC 7517 §4.2, §4.4)
        if jwk["kty"] == "OKP" and jwk.get("crv") not in _OKP_EXCHANGE_CURVES:
            continue
        ops = jwk.get("key_ops")
        allowed_ops = _KEY_OPS[jwk["kty"]]
        if ops is not None and not any(op in allowed_ops for op in ops if isinstance(op, str)):
            continue
        if jwk["kty"] == "RSA" and rsa_modulus_bits(jwk.get("n")) < 2048:
            continue  # RFC 7518 §4.3: "A key of size 2048 bits or larger MUST be used"
        try:  # key_ops checked above; joserfc expects its own op names, so leave them out
            key = JWKRegistry.import_key({k: v for k, v in jwk.items() if k != "key_ops"})
        except (JoseError, ValueError, TypeError, KeyError):
            continue  # a malformed key is not usable; another one may be
        (marked if "use" in jwk else unmarked).append(key)
    if not marked and not unmarked:
        kinds = " or ".join(_ASYMMETRIC[alg])
        raise EncryptionError(f"the client's jwks has no {kinds} encryption key usable for {alg}")
    return (marked or unmarked)[0]


def encrypt_for_client(
    payload: bytes,
    *,
    alg: str,
    enc: str,
    client_jwks: dict[str, Any] | None,
    client_secret: str | None,
    content_type: str = "JWT",
) -> str:
    """A compact JWE of ``payload`` for the client. ``content_type="JWT"`` marks a Nested JWT
    (OIDC Core §10.2, RFC 7519 §5.2); pass ``""`` for a bare UserInfo JSON body (no ``cty``)."""
    if enc not in _CEK_BITS:
        raise EncryptionError(f"unsupported content encryption (enc): {enc!r}")
    header: dict[str, Any] = {"alg": alg, "enc": enc}
    if content_type:
        header["cty"] = content_type
    key: Key
    if alg in _ASYMMETRIC:
        key = _select_encryption_key(alg, client_jwks)
        if key.kid:
            header["kid"] = key.kid
    elif alg in _SYMMETRIC:
        if not client_secret:  # §10.2: public clients cannot use symmetric encryption
            raise EncryptionError(f"{alg} needs a client_secret to derive the key from")
        bits = _SYMMETRIC[alg] or _CEK_BITS[enc]
        key = OctKey.import_key(derive_symmetric_key(client_secret, bits))
    else:
        raise EncryptionError(f"unsupported key management algorithm (alg): {alg!r}")
    try:
        jwe, registry = _registry()
        return str(jwe.encrypt_compact(header, payload, key, registry=registry))
    except JoseError as exc:
        raise EncryptionError(f"cannot encrypt with {alg}/{enc}: {exc}") from exc
