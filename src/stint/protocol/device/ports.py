"""What the device flow keeps: one record per device authorization request, and its store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from stint.protocol.ports import Approval

__all__ = [
    "SLOW_DOWN_SECONDS",
    "DeviceAuthorization",
    "DeviceAuthorizationStore",
    "DeviceStatus",
    "Poll",
]

SLOW_DOWN_SECONDS = 5  # RFC 8628 §3.5: each slow_down adds 5 seconds to the interval


class DeviceStatus(Enum):
    PENDING = "pending"  # waiting for the person (authorization_pending)
    APPROVED = "approved"  # approved; the next poll gets the tokens
    DENIED = "denied"  # access_denied
    ISSUED = "issued"  # the tokens went out: the device code is used up


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """One device authorization request (RFC 8628 §3.1), its codes kept only as keyed hashes."""

    device_code_hash: str
    user_code_hash: str  # of the normal form (stint.protocol.device.user_code.normalise)
    client_id: str
    scopes: frozenset[str]
    interval: int  # seconds the client waits between polls (§3.2), raised by slow_down (§3.5)
    created_at: datetime
    expires_at: datetime
    status: DeviceStatus = DeviceStatus.PENDING
    user_id: int | None = None  # who approved or denied
    grant_id: str | None = None  # the grant the approval recorded
    oidc: dict[str, Any] | None = None  # the approval's OIDC AuthContext JSON, for the ID token
    last_polled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Poll:
    """One poll of a device code, as the store recorded it."""

    too_fast: bool  # sooner after the previous poll than the interval allows (§3.5)
    interval: int  # the interval from now on: raised when the poll was too fast


class DeviceAuthorizationStore(Protocol):
    async def add(self, authorization: DeviceAuthorization) -> bool:
        """Store a new request; False (nothing stored) when its user code is taken."""
        ...

    async def get(self, device_code_hash: str) -> DeviceAuthorization | None: ...

    async def by_user_code(self, user_code_hash: str) -> DeviceAuthorization | None: ...

    async def poll(
        self, device_code_hash: str, *, now: datetime, slow_down_seconds: int = SLOW_DOWN_SECONDS
    ) -> Poll | None:
        """Record a poll at ``now``; one sooner than the interval after the previous one (or
        racing another) raises the interval by ``slow_down_seconds``, for good. None: no such
        request."""
        ...

    async def approve(self, device_code_hash: str, approval: Approval, *, now: datetime) -> bool:
        """Record ``approval`` (as ApprovalStore.record does) and link the request to its grant,
        in one transaction; False, and nothing stored, unless the request is pending and
        unexpired at ``now``."""
        ...

    async def deny(self, device_code_hash: str, user_id: int, *, now: datetime) -> bool:
        """Mark the request denied by ``user_id``; False unless it was pending and unexpired."""
        ...

    async def issue(self, device_code_hash: str, *, now: datetime) -> bool:
        """Mark an approved, unexpired request issued: True for exactly one caller, however
        many poll at once (the device code is single use)."""
        ...
