"""Links sent by mail (verify an address, reset a password): random, stored only as an HMAC
under the instance secret, expiring, and usable once."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Protocol

from stint.protocol.secrets import SecretHasher

__all__ = ["EmailLink", "EmailLinkStore", "EmailLinks", "LinkPurpose"]


class LinkPurpose(Enum):
    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"  # noqa: S105 (a purpose, not a password)


@dataclass(frozen=True, slots=True)
class EmailLink:
    token_hash: str
    purpose: LinkPurpose
    user_id: int
    email: str  # the address the mail went to (the one a verification link verifies)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class EmailLinkStore(Protocol):
    async def add(self, link: EmailLink) -> None:
        """Keep the link (and drop links that expired a while ago)."""
        ...

    async def find(self, token_hash: str) -> EmailLink | None: ...

    async def use(self, token_hash: str, now: datetime) -> EmailLink | None:
        """Mark the link used if it is unused and unexpired at ``now``, in one statement (two
        concurrent uses: one wins); then every other unused link of the same user and purpose
        is used up too. None when it was not usable."""
        ...


class EmailLinks:
    """Makes and redeems links; the token travels only in the mail."""

    def __init__(
        self,
        store: EmailLinkStore,
        hasher: SecretHasher,
        *,
        ttl: dict[LinkPurpose, timedelta],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._hasher = hasher
        self._ttl = ttl
        self._clock = clock

    async def issue(self, purpose: LinkPurpose, user_id: int, email: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        link = EmailLink(
            token_hash=self._hasher.hash(token),
            purpose=purpose,
            user_id=user_id,
            email=email,
            created_at=now,
            expires_at=now + self._ttl[purpose],
        )
        await self._store.add(link)
        return token

    async def check(self, purpose: LinkPurpose, token: str) -> EmailLink | None:
        """The link if it could be used now (for the page that asks to confirm)."""
        link = await self._store.find(self._hash(token)) if token else None
        if link is None or link.purpose is not purpose or link.used_at is not None:
            return None
        return link if link.expires_at > self._clock() else None

    async def use(self, purpose: LinkPurpose, token: str) -> EmailLink | None:
        """Use the link up; None if it was used, expired, unknown or for another purpose."""
        if await self.check(purpose, token) is None:
            return None
        return await self._store.use(self._hash(token), self._clock())

    def _hash(self, token: str) -> str:
        return self._hasher.hash(token[:100])
