"""What the accounts domain needs from storage."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from stint.accounts.models import LinkedIdentity, User

__all__ = [
    "CounterStore",
    "IdentityTakenError",
    "LastIdentityError",
    "UpstreamIdentityStore",
    "UserStore",
    "UsernameTakenError",
]


class UsernameTakenError(Exception):
    """Another account already holds this username (compared case-insensitively)."""


class IdentityTakenError(Exception):
    """This (provider, uid) is already linked to an account."""


class LastIdentityError(Exception):
    """Unlinking this identity would leave the account without any."""


class UserStore(Protocol):
    async def add(
        self,
        *,
        username: str,
        username_key: str,
        password_hash: str,
        profile: dict[str, Any] | None = None,
    ) -> User:
        """Create the user; raise UsernameTakenError when ``username_key`` is taken."""
        ...

    async def delete(self, user_id: int) -> bool:
        """Remove the account and all it holds; False when there was none. For undoing a
        sign-up: SQLite may give the newest account's id to the next one."""
        ...

    async def by_id(self, user_id: int) -> User | None: ...

    async def by_username_key(self, username_key: str) -> User | None: ...

    async def update_password_hash(self, user_id: int, password_hash: str) -> None:
        """The same password, hashed anew (rehash on sign-in): nothing else changes."""
        ...

    async def replace_password(self, user_id: int, password_hash: str) -> None:
        """A new password: also revokes every grant the user gave (their tokens stop)."""
        ...

    async def set_disabled(self, user_id: int, disabled: bool) -> bool:
        """Return False when no such user exists."""
        ...

    async def page(self, *, after_id: int = 0, limit: int = 100) -> list[User]: ...

    async def profile(self, user_id: int) -> tuple[str, dict[str, Any], datetime | None] | None:
        """(username, standard claims, when they last changed) of an active user."""
        ...

    async def set_profile(self, user_id: int, profile: dict[str, Any]) -> None:
        """Replace the profile (its email's key follows: ``by_email_key``)."""
        ...

    async def by_email_key(self, email_key: str) -> list[tuple[User, bool]]:
        """Every account whose profile email has this key (``profile.email_key``), with whether
        that address is verified (the profile's ``email_verified``), oldest account first."""
        ...


class UpstreamIdentityStore(Protocol):
    """Upstream identities linked to accounts (stint.accounts.linking)."""

    async def link(
        self,
        user_id: int,
        provider: str,
        uid: str,
        *,
        display: str = "",
        extra_data: dict[str, Any] | None = None,
        tokens: dict[str, Any] | None = None,
    ) -> LinkedIdentity:
        """Link (provider, uid) to the account; ``tokens`` are sealed at rest. Raises
        IdentityTakenError when any account (this one too) holds it already."""
        ...

    async def by_provider_uid(self, provider: str, uid: str) -> LinkedIdentity | None: ...

    async def for_user(self, user_id: int) -> list[LinkedIdentity]:
        """The account's identities, oldest link first."""
        ...

    async def count_for_user(self, user_id: int) -> int: ...

    async def update(
        self,
        identity_id: int,
        *,
        display: str,
        extra_data: dict[str, Any],
        tokens: dict[str, Any] | None,
    ) -> None:
        """What the provider said at the latest sign-in; ``tokens=None`` forgets stored ones."""
        ...

    async def tokens(self, identity_id: int) -> dict[str, Any] | None:
        """The stored upstream tokens, unsealed; None when none are stored."""
        ...

    async def touch(self, identity_id: int, used_at: datetime) -> None:
        """Record a sign-in through this identity."""
        ...

    async def unlink(
        self,
        user_id: int,
        provider: str,
        uid: str,
        *,
        keep_last: bool,
        usable: Collection[str] | None = None,
    ) -> bool:
        """Remove the account's link; False when it has none such. With ``keep_last``, raise
        LastIdentityError instead of removing the account's last identity at a ``usable``
        provider (None: any counts), atomically: two concurrent unlinks cannot remove the last
        two."""
        ...


class CounterStore(Protocol):
    """Counters that expire, shared by every worker: the state behind sign-in throttling."""

    async def increment(self, key: str, window_seconds: int) -> int:
        """Add one to ``key`` atomically and return the new count. The first increment starts
        a window of ``window_seconds``; once it has passed, the count starts again from one."""
        ...

    async def get(self, key: str) -> int:
        """The live count of ``key``; 0 when missing or expired."""
        ...

    async def decrement(self, key: str) -> None:
        """Take one back from a live count, never below zero; a missing key stays missing."""
        ...

    async def reset(self, key: str) -> None: ...
