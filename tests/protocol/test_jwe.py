"""Encrypted ID tokens / UserInfo (OIDC Core §10.2): what we encrypt, joserfc decrypts."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Unpack

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe
from joserfc.jwk import ECKey, Key, KeyParameters, OctKey, OKPKey, RSAKey

from stint.protocol.oidc.jwe import (
    CONTENT_ENCRYPTIONS,
    DEFAULT_CONTENT_ENCRYPTION,
    KEY_ALGORITHMS,
    SYMMETRIC_KEY_ALGORITHMS,
    EncryptionError,
    derive_symmetric_key,
    encrypt_for_client,
)

NESTED_JWT = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"
USERINFO_JSON = json.dumps({"sub": "42", "name": "Zoë"}).encode()
SECRET = "s3cr3t-client-secret-with-plenty-of-entropy"
RSA_ALGS = ("RSA-OAEP", "RSA-OAEP-256")
ECDH_ALGS = ("ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW")
SOME_ENCS = ("A128CBC-HS256", "A256CBC-HS512", "A128GCM", "A256GCM")
# Decrypt with exactly the algorithms under test: RSA-OAEP-256 is not joserfc-"recommended".
ALLOWED = [*KEY_ALGORITHMS, *CONTENT_ENCRYPTIONS]


def _rsa(**params: Unpack[KeyParameters]) -> RSAKey:
    return RSAKey.generate_key(2048, parameters=params)


def _ec(**params: Unpack[KeyParameters]) -> ECKey:
    return ECKey.generate_key("P-256", parameters=params)


def _jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def _header(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _b64int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decrypt(token: str, key: Key) -> jwe.CompactEncryption:
    return jwe.decrypt_compact(token, key, algorithms=ALLOWED)


def test_advertised_algorithms() -> None:
    assert (*RSA_ALGS, *ECDH_ALGS, "A128KW", "A256KW", "dir") == KEY_ALGORITHMS
    assert SYMMETRIC_KEY_ALGORITHMS == ("A128KW", "A256KW", "dir")
    assert "RSA1_5" not in KEY_ALGORITHMS
    assert set(CONTENT_ENCRYPTIONS) == {
        "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM",
    }  # fmt: skip
    assert DEFAULT_CONTENT_ENCRYPTION == "A128CBC-HS256"


@pytest.mark.parametrize("enc", SOME_ENCS)
@pytest.mark.parametrize("alg", RSA_ALGS)
def test_rsa_round_trip_nested_jwt(alg: str, enc: str) -> None:
    key = _rsa(use="enc", kid="rsa-enc")
    token = encrypt_for_client(
        NESTED_JWT, alg=alg, enc=enc, client_jwks=_jwks(key), client_secret=None
    )
    result = _decrypt(token, key)
    assert result.plaintext == NESTED_JWT
    assert result.protected == {"alg": alg, "enc": enc, "cty": "JWT", "kid": "rsa-enc"}


@pytest.mark.parametrize("enc", SOME_ENCS)
@pytest.mark.parametrize("alg", ECDH_ALGS)
def test_ecdh_round_trip_nested_jwt(alg: str, enc: str) -> None:
    key = _ec(use="enc", kid="ec-enc")
    token = encrypt_for_client(
        NESTED_JWT, alg=alg, enc=enc, client_jwks=_jwks(key), client_secret=None
    )
    result = _decrypt(token, key)
    assert result.plaintext == NESTED_JWT
    header = result.protected
    assert (header["alg"], header["enc"], header["cty"], header["kid"]) == (
        alg,
        enc,
        "JWT",
        "ec-enc",
    )
    assert header["epk"]["kty"] == "EC"  # RFC 7518 §4.6.1.1
    assert "d" not in header["epk"]


@pytest.mark.parametrize("alg", ECDH_ALGS)
def test_ecdh_with_x25519(alg: str) -> None:
    key = OKPKey.generate_key("X25519", parameters={"use": "enc"})
    token = encrypt_for_client(
        NESTED_JWT, alg=alg, enc="A256GCM", client_jwks=_jwks(key), client_secret=None
    )
    assert _decrypt(token, key).plaintext == NESTED_JWT


@pytest.mark.parametrize("alg", ["RSA-OAEP", "ECDH-ES"])
def test_unsigned_userinfo_has_no_cty_and_key_without_kid_gives_no_kid(alg: str) -> None:
    key: Key = _rsa() if alg.startswith("RSA") else _ec()  # no use, no kid, no alg
    token = encrypt_for_client(
        USERINFO_JSON,
        alg=alg,
        enc=DEFAULT_CONTENT_ENCRYPTION,
        client_jwks={"keys": [key.as_dict(private=False)]},
        client_secret=None,
        content_type="",
    )
    result = _decrypt(token, key)
    assert result.plaintext == USERINFO_JSON
    assert "cty" not in result.protected
    assert "kid" not in result.protected
    assert json.loads(result.plaintext) == {"sub": "42", "name": "Zoë"}


@pytest.mark.parametrize(("alg", "bits"), [("A128KW", 128), ("A256KW", 256)])
@pytest.mark.parametrize("enc", SOME_ENCS)
def test_symmetric_key_wrap_with_key_derived_from_client_secret(
    alg: str, bits: int, enc: str
) -> None:
    token = encrypt_for_client(NESTED_JWT, alg=alg, enc=enc, client_jwks=None, client_secret=SECRET)
    # OIDC Core §10.2, independently: SHA-256 of the secret, left-truncated to the key size.
    key = OctKey.import_key(hashlib.sha256(SECRET.encode()).digest()[: bits // 8])
    result = _decrypt(token, key)
    assert result.plaintext == NESTED_JWT
    assert result.protected == {"alg": alg, "enc": enc, "cty": "JWT"}


@pytest.mark.parametrize(
    ("enc", "derived"),
    [
        ("A128GCM", hashlib.sha256(SECRET.encode()).digest()[:16]),
        ("A192GCM", hashlib.sha256(SECRET.encode()).digest()[:24]),
        ("A256GCM", hashlib.sha256(SECRET.encode()).digest()),
        ("A128CBC-HS256", hashlib.sha256(SECRET.encode()).digest()),
        ("A192CBC-HS384", hashlib.sha384(SECRET.encode()).digest()),
        ("A256CBC-HS512", hashlib.sha512(SECRET.encode()).digest()),
    ],
)
def test_dir_uses_hash_sized_to_the_content_key(enc: str, derived: bytes) -> None:
    token = encrypt_for_client(
        USERINFO_JSON, alg="dir", enc=enc, client_jwks=None, client_secret=SECRET, content_type=""
    )
    result = _decrypt(token, OctKey.import_key(derived))
    assert result.plaintext == USERINFO_JSON
    assert result.protected == {"alg": "dir", "enc": enc}


def test_derive_symmetric_key_limits() -> None:
    assert derive_symmetric_key(SECRET, 512) == hashlib.sha512(SECRET.encode()).digest()
    with pytest.raises(EncryptionError, match="no key derivation"):
        derive_symmetric_key(SECRET, 1024)


@pytest.mark.parametrize("secret", [None, ""])
def test_symmetric_without_client_secret_is_refused(secret: str | None) -> None:
    with pytest.raises(EncryptionError, match="client_secret"):
        encrypt_for_client(
            NESTED_JWT, alg="A128KW", enc="A128GCM", client_jwks=None, client_secret=secret
        )


def test_prefers_use_enc_over_unmarked_and_skips_signing_keys() -> None:
    signing = _rsa(use="sig", kid="sig")
    unmarked = _rsa(kid="plain")
    enc_key = _rsa(use="enc", kid="enc")
    token = encrypt_for_client(
        NESTED_JWT,
        alg="RSA-OAEP-256",
        enc="A128CBC-HS256",
        client_jwks=_jwks(signing, unmarked, enc_key),
        client_secret=None,
    )
    assert _header(token)["kid"] == "enc"
    assert _decrypt(token, enc_key).plaintext == NESTED_JWT


def test_key_pinned_to_another_alg_is_not_chosen() -> None:
    pinned = _rsa(use="enc", kid="oaep-only", alg="RSA-OAEP")
    free = _rsa(use="enc", kid="any")
    jwks = _jwks(pinned, free)
    token = encrypt_for_client(
        NESTED_JWT, alg="RSA-OAEP-256", enc="A128GCM", client_jwks=jwks, client_secret=None
    )
    assert _header(token)["kid"] == "any"
    token = encrypt_for_client(
        NESTED_JWT, alg="RSA-OAEP", enc="A128GCM", client_jwks=jwks, client_secret=None
    )
    assert _header(token)["kid"] == "oaep-only"
    assert _decrypt(token, pinned).plaintext == NESTED_JWT


def test_only_key_pinned_to_another_alg_means_no_key() -> None:
    jwks = _jwks(_ec(use="enc", alg="ECDH-ES+A256KW"))
    with pytest.raises(EncryptionError, match="no EC or OKP encryption key usable for ECDH-ES"):
        encrypt_for_client(
            NESTED_JWT, alg="ECDH-ES", enc="A128GCM", client_jwks=jwks, client_secret=None
        )


@pytest.mark.parametrize(
    ("alg", "jwks"),
    [
        ("RSA-OAEP", {"keys": []}),
        ("RSA-OAEP", None),
        ("RSA-OAEP", {"keys": "not a list"}),
        ("RSA-OAEP", _jwks(_ec(use="enc"))),  # wrong kty
        ("ECDH-ES", _jwks(_rsa(use="enc"))),
        ("ECDH-ES", _jwks(_ec(use="sig"))),  # signing key only
        ("ECDH-ES", _jwks(OKPKey.generate_key("Ed25519"))),  # a signature curve
        ("ECDH-ES", {"keys": [{"kty": "EC", "crv": "P-256", "x": "broken", "y": "broken"}]}),
    ],
)
def test_no_usable_key(alg: str, jwks: dict[str, Any] | None) -> None:
    with pytest.raises(EncryptionError, match=r"no .* encryption key usable"):
        encrypt_for_client(NESTED_JWT, alg=alg, enc="A128GCM", client_jwks=jwks, client_secret=None)


def test_rsa_key_shorter_than_2048_bits_is_not_used() -> None:
    # Built by hand: joserfc itself would warn on importing it, and the client's JWKS is just JSON.
    numbers = rsa.generate_private_key(65537, 1024).public_key().public_numbers()  # noqa: S505
    weak = {"kty": "RSA", "use": "enc", "n": _b64int(numbers.n), "e": _b64int(numbers.e)}
    jwks = {"keys": [weak]}
    with pytest.raises(EncryptionError, match="no RSA encryption key"):
        encrypt_for_client(
            NESTED_JWT, alg="RSA-OAEP", enc="A128GCM", client_jwks=jwks, client_secret=None
        )


def test_key_ops_are_honoured() -> None:
    key = _ec(kid="derive")
    usable = {**key.as_dict(private=False), "key_ops": ["deriveKey"]}
    unusable = {**_ec(kid="verify").as_dict(private=False), "key_ops": ["verify", {"odd": 1}]}
    token = encrypt_for_client(
        NESTED_JWT,
        alg="ECDH-ES",
        enc="A128GCM",
        client_jwks={"keys": [unusable, usable]},
        client_secret=None,
    )
    assert _header(token)["kid"] == "derive"
    assert _decrypt(token, key).plaintext == NESTED_JWT


@pytest.mark.parametrize("alg", ["RSA1_5", "A192KW", "PBES2-HS256+A128KW", "none", ""])
def test_unsupported_alg(alg: str) -> None:
    jwks = _jwks(_rsa(use="enc"))
    with pytest.raises(EncryptionError, match="unsupported key management algorithm"):
        encrypt_for_client(
            NESTED_JWT, alg=alg, enc="A128GCM", client_jwks=jwks, client_secret=SECRET
        )


@pytest.mark.parametrize("enc", ["A128CBC", "A128KW", "", "a128gcm"])
def test_unsupported_enc(enc: str) -> None:
    jwks = _jwks(_rsa(use="enc"))
    with pytest.raises(EncryptionError, match="unsupported content encryption"):
        encrypt_for_client(
            NESTED_JWT, alg="RSA-OAEP", enc=enc, client_jwks=jwks, client_secret=None
        )


def test_each_token_is_freshly_encrypted() -> None:
    key = _ec(use="enc")
    jwks = _jwks(key)
    first, second = (
        encrypt_for_client(
            NESTED_JWT, alg="ECDH-ES", enc="A128GCM", client_jwks=jwks, client_secret=None
        )
        for _ in range(2)
    )
    assert first != second
