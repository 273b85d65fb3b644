"""What a resource server must know on every request: is this JWT revoked? Answered from memory.

Every worker follows the revocation log (``stint.protocol.revocations``) by its database-assigned
sequence: it asks for the events after the last ``id`` it read. A revocation reaches:

- the worker that made it at once (``apply``, called when its transaction commits);
- every other worker as soon as a push arrives (PostgreSQL NOTIFY or Redis pub/sub call
  ``catch_up``), and at the latest ``poll_seconds`` and one read later: a request that finds the
  last read older than that starts a read in the background and answers from memory, so no
  request waits on the database (a read awaited inline stalled its request under load).

With ``poll_seconds=0`` every check reads the log before it answers. Events about clients and
accounts are handed to the subscribers of their kind (the client and account-status caches forget
the entry).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from stint.failure_log import FailureLog
from stint.protocol.access_tokens import AccessToken
from stint.protocol.revocations import Revocation, RevocationEvent, RevocationKind, RevocationLog

__all__ = ["RevocationCache"]

log = logging.getLogger("stint.revocations")

_PAGE = 1000
# An entry is dropped from memory this long after what it revoked expired: more than any clock
# drift between the host that stamped the expiry and the one verifying tokens.
_KEEP_AFTER_EXPIRY_SECONDS = 3600.0
_SWEEP_EVERY_SECONDS = 300.0


class RevocationCache:
    def __init__(
        self,
        revocation_log: RevocationLog,
        *,
        poll_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._log = revocation_log
        self._poll_seconds = poll_seconds
        self._monotonic = monotonic
        self._wall = wall
        # value -> when it may be forgotten (epoch seconds)
        self._revoked: dict[RevocationKind, dict[str, float]] = {
            RevocationKind.ACCESS_TOKEN: {},
            RevocationKind.GRANT: {},
        }
        self._subscribers: dict[RevocationKind, list[Callable[[str], None]]] = {}
        self._last_id = 0
        self._lock = asyncio.Lock()
        self._next_poll = 0.0
        self._next_sweep = 0.0
        self._polling: asyncio.Task[None] | None = None
        self._failures = FailureLog(log, "reading the revocation log failed")

    @property
    def last_id(self) -> int:
        """The newest event read from the log."""
        return self._last_id

    def subscribe(self, kind: RevocationKind, forget: Callable[[str], None]) -> None:
        """Call ``forget(value)`` for every event of ``kind`` (a client id, a user id)."""
        self._subscribers.setdefault(kind, []).append(forget)

    def apply(self, revocation: Revocation, expires_at: datetime) -> None:
        """Take a revocation into account now (synchronous: no request can slip in between)."""
        revoked = self._revoked.get(revocation.kind)
        if revoked is not None:
            revoked[revocation.value] = expires_at.timestamp() + _KEEP_AFTER_EXPIRY_SECONDS
        for forget in self._subscribers.get(revocation.kind, ()):
            forget(revocation.value)

    async def catch_up(self) -> None:
        """Read every event after the last one read (a push arrived, or the poll is due)."""
        async with self._lock:
            self._next_poll = self._monotonic() + self._poll_seconds
            while True:
                events: list[RevocationEvent] = await self._log.since(self._last_id, _PAGE)
                for event in events:
                    self.apply(event.revocation, event.expires_at)
                if events:
                    self._last_id = events[-1].id
                if len(events) < _PAGE:
                    break
            self._sweep()

    def is_grant_revoked(self, grant_id: str) -> bool:
        return grant_id in self._revoked[RevocationKind.GRANT]

    async def is_revoked(self, token: AccessToken) -> bool:
        if self._monotonic() >= self._next_poll:
            if self._poll_seconds <= 0:
                await self._poll()
            elif self._polling is None:
                self._next_poll = self._monotonic() + self._poll_seconds
                self._polling = asyncio.get_running_loop().create_task(self._poll_in_background())
        return token.jti in self._revoked[RevocationKind.ACCESS_TOKEN] or (
            token.grant_id is not None and self.is_grant_revoked(token.grant_id)
        )

    async def settle(self) -> None:
        """Wait for a background read under way, if any (shutdown, tests)."""
        if self._polling is not None:
            await asyncio.shield(self._polling)

    async def _poll_in_background(self) -> None:
        try:
            await self._poll()
        finally:
            self._polling = None

    async def _poll(self) -> None:
        if self._lock.locked() and self._poll_seconds > 0:
            return  # a read is under way; its answer will be in memory in a moment
        try:
            await self.catch_up()
        except Exception as exc:  # the database is unreachable: keep what we know, retry soon
            self._failures.failed(exc)

    def _sweep(self) -> None:
        if self._monotonic() < self._next_sweep:
            return
        self._next_sweep = self._monotonic() + _SWEEP_EVERY_SECONDS
        now = self._wall()
        for revoked in self._revoked.values():
            for value in [v for v, until in revoked.items() if until < now]:
                del revoked[value]
