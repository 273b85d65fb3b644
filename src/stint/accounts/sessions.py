"""Browser sessions: who signed in, when, and until when (the cookie holds only a random id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["Session", "SessionStore"]


@dataclass(frozen=True, slots=True)
class Session:
    id_hash: str
    user_id: int
    created_at: datetime
    auth_time: datetime
    expires_at: datetime
    user_agent: str = ""
    sid: str = ""  # OpenID Connect session id: public, unlike id_hash (Front/Back-Channel Logout)
    amr: str = "pwd"  # RFC 8176 authentication method reference, space-separated
    acr: str = ""


class SessionStore(Protocol):
    async def add(self, session: Session) -> None: ...

    async def get(self, id_hash: str) -> Session | None: ...

    async def delete(self, id_hash: str) -> None: ...

    async def for_user(self, user_id: int) -> list[Session]: ...

    async def by_sid(self, sid: str) -> Session | None: ...

    async def expire_for_user(self, user_id: int, now: datetime) -> int:
        """Make every live session of ``user_id`` run out at ``now``; returns how many."""
        ...

    async def take_expired(self, now: datetime, limit: int) -> list[Session]:
        """Delete up to ``limit`` sessions expired at ``now`` and return them, each to one
        caller only (workers sweep at the same time)."""
        ...
