"""In-memory CIBA stores (the ports of ``stint.protocol.ciba.ports``), held to the same contract
tests as the SQL stores in tests/storage."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from stint.protocol.ciba.ports import BackchannelRequest, BackchannelStatus, Poll
from stint.protocol.polling import polled_too_soon
from stint.protocol.ports import Approval
from tests.support.clock import Clock
from tests.support.oauth_memory import MemoryApprovals, MemoryGrants

__all__ = ["MemoryBackchannelRequests", "MemoryHintedUsers", "MemoryRequestJtis"]


class MemoryBackchannelRequests:
    """Requests by auth_req_id hash; an approval is recorded (and its grant added) with it."""

    def __init__(
        self, approvals: MemoryApprovals | None = None, grants: MemoryGrants | None = None
    ) -> None:
        self.requests: dict[str, BackchannelRequest] = {}
        self.approvals = approvals or MemoryApprovals()
        self._grants = grants

    async def add(self, request: BackchannelRequest) -> None:
        if request.auth_req_id_hash in self.requests or await self.by_handle(request.handle):
            raise ValueError("duplicate backchannel request")
        await self.prune(request.created_at - timedelta(hours=1))  # as SqlBackchannelRequestStore
        self.requests[request.auth_req_id_hash] = request

    async def get(self, auth_req_id_hash: str) -> BackchannelRequest | None:
        return self.requests.get(auth_req_id_hash)

    async def by_handle(self, handle: str) -> BackchannelRequest | None:
        return next((r for r in self.requests.values() if r.handle == handle), None)

    async def pending_for(self, user_id: int, now: datetime) -> list[BackchannelRequest]:
        found = [
            r
            for r in self.requests.values()
            if r.user_id == user_id and r.status is BackchannelStatus.PENDING and r.expires_at > now
        ]
        return sorted(found, key=lambda r: (r.created_at, r.handle))

    async def decide(
        self, handle: str, user_id: int, now: datetime, approval: Approval | None
    ) -> BackchannelRequest | None:
        found = await self.by_handle(handle)
        if (
            found is None
            or found.user_id != user_id
            or found.status is not BackchannelStatus.PENDING
            or found.expires_at <= now
        ):
            return None
        if approval is None:
            decided = found.with_status(BackchannelStatus.DENIED, decided_at=now)
        else:
            await self.approvals.record(approval)
            if self._grants is not None:
                await self._grants.add(approval.grant)
            decided = found.with_status(
                BackchannelStatus.APPROVED,
                decided_at=now,
                grant_id=approval.grant.id,
                oidc=approval.grant.oidc,
            )
        self.requests[found.auth_req_id_hash] = decided
        return decided

    async def poll(
        self, auth_req_id_hash: str, now: datetime, slow_down_seconds: int
    ) -> Poll | None:
        found = self.requests.get(auth_req_id_hash)
        if found is None:
            return None
        last = found.last_polled_at
        too_fast = polled_too_soon(last, now, found.interval)
        interval = found.interval + slow_down_seconds if too_fast else found.interval
        self.requests[auth_req_id_hash] = replace(found, last_polled_at=now, interval=interval)
        return Poll(found, too_fast)

    async def redeem(self, auth_req_id_hash: str, now: datetime) -> BackchannelRequest | None:
        found = self.requests.get(auth_req_id_hash)
        if found is None or found.status is not BackchannelStatus.APPROVED:
            return None
        if found.expires_at <= now:
            return None
        issued = found.with_status(BackchannelStatus.ISSUED)
        self.requests[auth_req_id_hash] = issued
        return issued

    async def prune(self, now: datetime) -> int:
        gone = [h for h, r in self.requests.items() if r.expires_at <= now]
        for auth_req_id_hash in gone:
            del self.requests[auth_req_id_hash]
        return len(gone)


class MemoryRequestJtis:
    def __init__(self, clock: Clock) -> None:
        self.seen: dict[tuple[str, str], datetime] = {}
        self._clock = clock

    async def first_use(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        now = self._clock()
        self.seen = {k: v for k, v in self.seen.items() if v > now}
        if (issuer, jti) in self.seen:
            return False
        self.seen[(issuer, jti)] = expires_at
        return True


@dataclass
class MemoryHintedUsers:
    """Users by login hint (username), and which users have grants for which client."""

    logins: dict[str, int] = field(default_factory=lambda: {"alice": 1})
    clients: dict[str, list[int]] = field(default_factory=dict)

    async def by_login_hint(self, hint: str) -> int | None:
        return self.logins.get(hint.lower())

    async def users_of_client(self, client_id: str) -> list[int]:
        return list(self.clients.get(client_id, []))
