"""What CIBA needs from storage: pending backchannel requests, request ``jti``s, and users."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from stint.protocol.ports import Approval

__all__ = [
    "BackchannelRequest",
    "BackchannelRequestStore",
    "BackchannelStatus",
    "HintedUsers",
    "JtiReplayStore",
    "Poll",
]


class BackchannelStatus(Enum):
    PENDING = "pending"  # waiting for the person
    APPROVED = "approved"  # the person approved: tokens may be issued, once
    DENIED = "denied"  # the person denied: access_denied (§11)
    ISSUED = "issued"  # tokens were issued (taken at the token endpoint, or pushed)


@dataclass(frozen=True, slots=True)
class BackchannelRequest:
    """One backchannel authentication request (CIBA §7), from the client's call to its tokens.

    Stored by the keyed hash of its ``auth_req_id``. For ping and push clients the
    ``auth_req_id`` and the ``client_notification_token`` are needed again to call the client
    back (§10.2, §10.3), so they are kept sealed at rest, never in plain text.
    """

    auth_req_id_hash: str
    handle: str  # a random id for the /approve page's forms (not the auth_req_id)
    client_id: str
    user_id: int
    scopes: frozenset[str]
    delivery_mode: str  # poll | ping | push
    created_at: datetime
    expires_at: datetime
    interval: int  # seconds between polls (§7.3); raised by 5 at each slow_down
    binding_message: str | None = None
    acr_values: tuple[str, ...] = ()
    claims: dict[str, Any] | None = None  # an OIDC claims request (Core §5.5), as JSON
    auth_req_id: str | None = None  # ping and push only: sealed at rest
    client_notification_token: str | None = None  # ping and push only: sealed at rest
    status: BackchannelStatus = BackchannelStatus.PENDING
    grant_id: str | None = None  # once approved
    oidc: dict[str, Any] | None = None  # once approved: the AuthContext JSON for the ID token
    last_polled_at: datetime | None = None
    decided_at: datetime | None = None

    def with_status(self, status: BackchannelStatus, **changes: Any) -> BackchannelRequest:
        return replace(self, status=status, **changes)


@dataclass(frozen=True, slots=True)
class Poll:
    """One poll at the token endpoint: the request as it was, and whether it came too soon."""

    request: BackchannelRequest
    too_fast: bool


class BackchannelRequestStore(Protocol):
    async def add(self, request: BackchannelRequest) -> None: ...

    async def get(self, auth_req_id_hash: str) -> BackchannelRequest | None: ...

    async def by_handle(self, handle: str) -> BackchannelRequest | None: ...

    async def pending_for(self, user_id: int, now: datetime) -> list[BackchannelRequest]:
        """The user's pending, unexpired requests, oldest first (for /approve)."""
        ...

    async def decide(
        self, handle: str, user_id: int, now: datetime, approval: Approval | None
    ) -> BackchannelRequest | None:
        """Approve (``approval`` recorded in the same transaction, the request pointing at its
        grant) or deny (``approval`` None) the user's pending, unexpired request, once: the
        decided request, or None when it is not (or no longer) the user's to decide."""
        ...

    async def poll(
        self, auth_req_id_hash: str, now: datetime, slow_down_seconds: int
    ) -> Poll | None:
        """Record a poll at ``now``, atomically; one sooner than ``interval`` after the last
        raises the interval by ``slow_down_seconds`` (RFC 8628 §3.5, CIBA §11)."""
        ...

    async def redeem(self, auth_req_id_hash: str, now: datetime) -> BackchannelRequest | None:
        """Mark an approved request issued, atomically: the request the first time, else None."""
        ...

    async def prune(self, now: datetime) -> int:
        """Delete requests that expired; how many."""
        ...


class JtiReplayStore(Protocol):
    """JWT ids seen, until their JWT expires: a signed request is accepted once (CIBA §7.1.1)."""

    async def first_use(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """True the first time ``(issuer, jti)`` is presented, False every time after."""
        ...


class HintedUsers(Protocol):
    """The people a hint can name (CIBA §7.1)."""

    async def by_login_hint(self, hint: str) -> int | None:
        """The active user whose username (or, if unique, verified email) ``hint`` is."""
        ...

    async def users_of_client(self, client_id: str) -> list[int]:
        """Users who ever granted the client something: the candidates for a pairwise ``sub``
        (which cannot be reversed, OIDC Core §8.1)."""
        ...
