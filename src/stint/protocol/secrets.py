"""Generated secrets (≥ 256 bits) and their keyed hashes: stored instead of the values themselves.

A 256-bit random value cannot be guessed, so a keyed SHA-256 (HMAC) protects it as well as a slow
password hash would, in a microsecond (DESIGN.md, principle 7).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["SecretHasher", "new_secret"]


def new_secret() -> str:
    """32 random bytes, base64url: 256 bits of entropy (RFC 6749 §10.10)."""
    return secrets.token_urlsafe(32)


class SecretHasher:
    """HMAC-SHA-256 under a key derived from the instance secret; compares in constant time."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"stint/secret-hash/v1\0" + key).digest()
        # A key of its own, so a stored hash never equals a derived secret.
        self._derive_key = hashlib.sha256(b"stint/derived-secret/v1\0" + key).digest()

    def hash(self, value: str) -> str:
        # hmac.digest: OpenSSL's one-shot HMAC, without building an hmac.HMAC object per call.
        return hmac.digest(self._key, value.encode(), "sha256").hex()

    def derived_secret(self, value: str) -> str:
        """A 256-bit secret that ``value`` always yields, and only the instance secret's holder."""
        digest = hmac.new(self._derive_key, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def matches(self, value: str, expected_hash: str) -> bool:
        return hmac.compare_digest(self.hash(value), expected_hash)
