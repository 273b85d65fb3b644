"""Passkeys (WebAuthn public key credentials) of an account, and the ports that keep them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = [
    "Challenge",
    "ChallengeStore",
    "NewPasskey",
    "Passkey",
    "PasskeyStore",
    "PasskeyTakenError",
]


class PasskeyTakenError(Exception):
    """A passkey with this credential id is already registered (WebAuthn L3 §7.1 step 26)."""


@dataclass(frozen=True, slots=True)
class NewPasskey:
    """A credential a registration ceremony verified, before it is stored."""

    user_id: int
    credential_id: bytes
    public_key: bytes  # COSE_Key (RFC 9052 §7), as the authenticator gave it
    sign_count: int
    transports: tuple[str, ...]
    name: str
    device_bound: bool  # not backup eligible: the private key never leaves the authenticator


@dataclass(frozen=True, slots=True)
class Passkey:
    id: int
    user_id: int
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    name: str
    device_bound: bool
    created_at: datetime
    last_used_at: datetime | None = None


class PasskeyStore(Protocol):
    async def add(self, passkey: NewPasskey) -> Passkey:
        """Store it; raise PasskeyTakenError when its credential id is registered already."""
        ...

    async def for_user(self, user_id: int) -> list[Passkey]:
        """The account's passkeys, oldest first."""
        ...

    async def by_credential_id(self, credential_id: bytes) -> Passkey | None: ...

    async def record_use(
        self, passkey_id: int, seen_count: int, new_count: int, used_at: datetime
    ) -> bool:
        """Move the sign count from ``seen_count`` to ``new_count`` in one step; False when it
        is no longer ``seen_count`` (another sign-in used the same count: a cloned key)."""
        ...

    async def remove(self, user_id: int, passkey_id: int) -> bool:
        """Remove ``user_id``'s passkey; False when the account has no such passkey."""
        ...


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge handed to a browser for one ceremony (WebAuthn L3 §13.4.3)."""

    purpose: str  # "register", "sign-in" or "second-factor"
    user_id: int | None  # the account it was issued for; None for a sign-in with no name
    expires_at: datetime


class ChallengeStore(Protocol):
    async def put(
        self, challenge: bytes, purpose: str, user_id: int | None, ttl_seconds: int
    ) -> None: ...

    async def take(self, challenge: bytes) -> Challenge | None:
        """The challenge, once: taking it removes it. None if unknown, taken or expired."""
        ...
