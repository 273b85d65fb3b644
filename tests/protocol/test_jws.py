"""The fast ES256 signer produces JWS that an independent library (joserfc) verifies."""

from __future__ import annotations

import base64

import orjson
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError

from stint.protocol.jws import CompactSigner
from stint.protocol.keys import generate_signing_key


def test_signature_verifies_with_joserfc_and_carries_header_and_claims() -> None:
    key = generate_signing_key()
    claims = {"sub": "42", "exp": 4102444800, "name": "Zoë", "scope": "a b"}
    token = CompactSigner(key, "at+jwt").sign(claims)
    decoded = jwt.decode(token, key.key, algorithms=["ES256"])
    assert decoded.header == {"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}
    assert decoded.claims == claims


def test_signature_is_raw_r_and_s_of_64_bytes() -> None:
    # RFC 7518 §3.4: JWS carries R || S, not the DER encoding cryptography produces.
    token = CompactSigner(generate_signing_key(), "at+jwt").sign({"sub": "1"})
    signature = token.rsplit(".", 1)[1]
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64


def test_another_key_does_not_verify() -> None:
    token = CompactSigner(generate_signing_key(), "at+jwt").sign({"sub": "1"})
    with pytest.raises(BadSignatureError):
        jwt.decode(token, generate_signing_key().key, algorithms=["ES256"])


def test_payload_is_plain_json() -> None:
    token = CompactSigner(generate_signing_key(), "at+jwt").sign({"sub": "1", "n": 2})
    payload = token.split(".")[1]
    assert orjson.loads(base64.urlsafe_b64decode(payload + "==")) == {"sub": "1", "n": 2}
