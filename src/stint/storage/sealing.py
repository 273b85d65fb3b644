"""Values sealed at rest: AES-256-GCM under a key derived from the instance secret per purpose.

A database dump alone opens nothing. Each purpose derives its own key (HKDF ``info``), and each
value is bound to its row's key as associated data, so a sealed value copied to another row or
another table does not open.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "BACKCHANNEL_NOTIFICATIONS",
    "PENDING_SIGN_INS",
    "SIGNING_KEYS",
    "TOTP_SECRETS",
    "UPSTREAM_CLIENT_SECRETS",
    "UPSTREAM_SIGN_INS",
    "UPSTREAM_TOKENS",
    "Sealer",
]

# HKDF ``info`` of each purpose (RFC 5869 §3.2): one derived key each.
SIGNING_KEYS = "stint/signing-key-sealing/v1"
UPSTREAM_CLIENT_SECRETS = "stint/upstream-client-secret-sealing/v1"
UPSTREAM_TOKENS = "stint/upstream-token-sealing/v1"
UPSTREAM_SIGN_INS = "stint/upstream-sign-in-sealing/v1"
BACKCHANNEL_NOTIFICATIONS = "stint/backchannel-notification-sealing/v1"  # CIBA ping and push
TOTP_SECRETS = "stint/totp-secret-sealing/v1"  # the RFC 6238 shared secret of a second factor
PENDING_SIGN_INS = "stint/pending-sign-in-sealing/v1"  # a sign-in waiting for its second factor

_NONCE_BYTES = 12  # AES-GCM's 96-bit nonce (NIST SP 800-38D §8.2), random per value


class Sealer:
    """Seals and opens values of one purpose; ``context`` is the row key they belong to."""

    def __init__(self, instance_secret: bytes, purpose: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()
        ).derive(instance_secret)
        self._aead = AESGCM(derived)

    def seal(self, context: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, context: str, sealed: bytes) -> bytes:
        """The plaintext; raises cryptography's InvalidTag for another key, context or a change."""
        return self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], context.encode())
