"""The account records the rest of Stint sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["User"]


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_hash: str
    disabled: bool
    created_at: datetime
