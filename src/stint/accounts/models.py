"""The account records the rest of Stint sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["LinkedIdentity", "User"]


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_hash: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LinkedIdentity:
    """One upstream identity linked to an account: (provider, uid) is unique."""

    id: int
    provider: str  # the configured name: /login/<provider>/
    uid: str
    user_id: int
    display: str  # what the person knows it by (login name or email at the provider)
    extra_data: dict[str, Any]  # the backend's EXTRA_DATA
    linked_at: datetime
    last_used_at: datetime | None
