"""A software WebAuthn authenticator and client: real credentials, real signatures.

It makes what a browser sends after ``navigator.credentials.create()`` / ``get()`` (WebAuthn L3
§5.1.3, §5.1.4): clientDataJSON, a "none" attestation object, an authenticator data and an ES256
signature over it, so the server's checks (py_webauthn's) run on genuine data.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["SoftAuthenticator", "b64url", "from_b64url"]

_UP, _UV, _BE, _AT = 0x01, 0x04, 0x08, 0x40


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class _Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    """A platform authenticator with resident keys; ``origin`` is where its client runs."""

    origin: str
    user_verification: bool = True
    backup_eligible: bool = False  # a synced passkey (swk) rather than a device-bound one (hwk)
    counts: bool = True  # False: always 0, as synced passkeys report
    credentials: list[_Credential] = field(default_factory=list)

    def create(self, options: dict[str, Any], credential_id: bytes | None = None) -> str:
        """The JSON of navigator.credentials.create() for ``options`` (the server's JSON);
        ``credential_id``: the id to give it (default: a new random one)."""
        rp_id = options["rp"]["id"]
        credential = _Credential(
            credential_id or secrets.token_bytes(16),
            ec.generate_private_key(ec.SECP256R1()),
            rp_id,
            from_b64url(options["user"]["id"]),
        )
        self.credentials.append(credential)
        numbers = credential.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        cose = {1: 2, 3: -7, -1: 1, -2: x, -3: y}  # EC2 P-256 ES256 (RFC 9053 §7.1.1)
        attested = (
            bytes(16)  # AAGUID: none
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + cbor2.dumps(cose)
        )
        auth_data = self._auth_data(rp_id, _AT, 0) + attested
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": b64url(credential.credential_id),
                "rawId": b64url(credential.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["internal"],
                },
            }
        )

    def get(self, options: dict[str, Any], credential: _Credential | None = None) -> str:
        """The JSON of navigator.credentials.get(): signed by ``credential`` (default: the
        newest one the options allow)."""
        allowed = {from_b64url(d["id"]) for d in options.get("allowCredentials") or []}
        if credential is None:
            usable = [
                c
                for c in self.credentials
                if c.rp_id == options["rpId"] and (not allowed or c.credential_id in allowed)
            ]
            credential = usable[-1]
        if self.counts:
            credential.sign_count += 1
        auth_data = self._auth_data(credential.rp_id, 0, credential.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(credential.credential_id),
                "rawId": b64url(credential.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(credential.user_handle),
                },
            }
        )

    def _auth_data(self, rp_id: str, flags: int, sign_count: int) -> bytes:
        flags |= _UP | (_UV if self.user_verification else 0)
        flags |= _BE if self.backup_eligible else 0
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + struct.pack(">I", sign_count)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data).encode()
