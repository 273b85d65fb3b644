"""What a resource server must know on every request: is this JWT revoked? Answered from memory.

The revoked ``jti`` and grant ids are reloaded incrementally every ``refresh_seconds``, so a
revocation takes at most that long to reach every worker, and a request costs no database read.
With ``refresh_seconds=0`` every check asks the stores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from stint.protocol.access_tokens import AccessToken
from stint.protocol.ports import GrantStore, RevokedTokenStore

__all__ = ["RevocationCache"]


class RevocationCache:
    def __init__(
        self,
        grants: GrantStore,
        revoked: RevokedTokenStore,
        *,
        refresh_seconds: float,
        max_token_ttl: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._grants = grants
        self._revoked = revoked
        self._refresh_seconds = refresh_seconds
        self._horizon = timedelta(seconds=max_token_ttl + 60)
        self._clock = clock
        self._jtis: set[str] = set()
        self._grant_ids: set[str] = set()
        self._loaded_until: datetime | None = None
        self._next_refresh = 0.0

    async def is_revoked(self, token: AccessToken) -> bool:
        if self._refresh_seconds <= 0:
            if await self._revoked.contains(token.jti):
                return True
            return token.grant_id is not None and await self._grants.is_revoked(token.grant_id)
        if time.monotonic() >= self._next_refresh:
            # Claim the refresh before awaiting, so concurrent requests do not all run it.
            self._next_refresh = time.monotonic() + self._refresh_seconds
            await self._refresh()
        return token.jti in self._jtis or (
            token.grant_id is not None and token.grant_id in self._grant_ids
        )

    async def _refresh(self) -> None:
        now = self._clock()
        # Overlap the windows a little, so nothing committed during the last read is missed.
        since = (self._loaded_until or now - self._horizon) - timedelta(seconds=5)
        self._jtis.update(await self._revoked.added_since(since))
        self._grant_ids.update(await self._grants.revoked_since(since))
        if self._loaded_until is None or len(self._jtis) + len(self._grant_ids) > 200_000:
            # Start over now and then, so entries for long-expired tokens do not pile up.
            self._jtis = set(await self._revoked.added_since(now - self._horizon))
            self._grant_ids = set(await self._grants.revoked_since(now - self._horizon))
        self._loaded_until = now
        self._next_refresh = time.monotonic() + self._refresh_seconds
