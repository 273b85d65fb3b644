"""argon2id password hashing with the OWASP parameters, and re-hashing when they change."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordHashing", "PasswordVerdict"]


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
        """Check ``password``; with no stored hash, spend the same time and say no."""
        try:
            self._hasher.verify(password_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return PasswordVerdict(valid=False)
        if password_hash is None:
            return PasswordVerdict(valid=False)
        if self._hasher.check_needs_rehash(password_hash):
            return PasswordVerdict(valid=True, new_hash=self._hasher.hash(password))
        return PasswordVerdict(valid=True)
