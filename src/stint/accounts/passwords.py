"""argon2id password hashing with the OWASP parameters, and re-hashing when they change."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "PasswordHashing",
    "PasswordVerdict",
    "is_usable_password_hash",
    "unusable_password_hash",
]

# An account made through an upstream provider has no password: its stored "hash" starts with
# this, which no argon2 encoding does, so no password ever verifies against it.
_UNUSABLE = "!"


def unusable_password_hash() -> str:
    """A stored value no password matches; random, so two such accounts never look alike."""
    return _UNUSABLE + secrets.token_urlsafe(24)


def is_usable_password_hash(password_hash: str) -> bool:
    return not password_hash.startswith(_UNUSABLE)


@dataclass(frozen=True, slots=True)
class PasswordVerdict:
    valid: bool
    new_hash: str | None = None  # set when the stored hash used outdated parameters


class PasswordHashing:
    """argon2id with OWASP's first option: m=19 MiB, t=2, p=1 (RFC 9106 §4, low-memory choice)."""

    def __init__(self, *, memory_kib: int = 19 * 1024, time_cost: int = 2, parallelism: int = 1):
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verifying against this when the user does not exist keeps the timing equal.
        self._dummy_hash = self._hasher.hash("not a password of anyone's")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> PasswordVerdict:
        """Check ``password``; with no stored hash or an unusable one, spend the same time (so
        the answer does not tell which accounts have a password) and say no."""
        if password_hash is not None and not is_usable_password_hash(password_hash):
            password_hash = None
        try:
            self._hasher.verify(password_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return PasswordVerdict(valid=False)
        if password_hash is None:
            return PasswordVerdict(valid=False)
        if self._hasher.check_needs_rehash(password_hash):
            return PasswordVerdict(valid=True, new_hash=self._hasher.hash(password))
        return PasswordVerdict(valid=True)
