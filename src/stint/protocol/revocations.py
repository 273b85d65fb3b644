"""What a revocation says, and the database-ordered log of them that every worker follows.

A revocation is recorded in the same transaction as the change it announces, with an ``id`` the
database assigns in commit order. A worker remembers the last ``id`` it read and asks only for
newer ones: no host's clock decides what counts as new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

__all__ = ["Revocation", "RevocationEvent", "RevocationKind", "RevocationLog"]


class RevocationKind(StrEnum):
    ACCESS_TOKEN = "jti"  # noqa: S105 (a kind of record, not a secret): one JWT, by its ``jti``
    GRANT = "grant"  # every token issued under a grant
    CLIENT = "client"  # a client was deleted or changed: cached copies must go
    USER = "user"  # an account was disabled or its password changed: cached status must go


@dataclass(frozen=True, slots=True)
class Revocation:
    kind: RevocationKind
    value: str


@dataclass(frozen=True, slots=True)
class RevocationEvent:
    id: int  # assigned by the database, increasing in commit order
    revocation: Revocation
    expires_at: datetime  # after this, whatever it revoked would be refused anyway


class RevocationLog(Protocol):
    async def since(self, after_id: int, limit: int) -> list[RevocationEvent]:
        """Events with an ``id`` above ``after_id``, oldest first, at most ``limit``."""
        ...
