"""What the accounts domain needs from storage."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from stint.accounts.models import User

__all__ = ["CounterStore", "UserStore", "UsernameTakenError"]


class UsernameTakenError(Exception):
    """Another account already holds this username (compared case-insensitively)."""


class UserStore(Protocol):
    async def add(self, *, username: str, username_key: str, password_hash: str) -> User:
        """Create the user; raise UsernameTakenError when ``username_key`` is taken."""
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

    async def set_profile(self, user_id: int, profile: dict[str, Any]) -> None: ...


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
