"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a browser session ends,
every app that received an ID token in it gets a logout token POSTed to its
``backchannel_logout_uri`` (§2.5), retried with exponential backoff until the app answers 200 or
204 (§2.8) or the attempts run out. The deliveries live in the database, so any worker retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from stint.accounts.sessions import Session
from stint.failure_log import FailureLog
from stint.outbound.fetch import FetchError, OutboundHttp
from stint.protocol.oidc.logout_token import LogoutTokens
from stint.protocol.oidc.ports import SessionClients
from stint.protocol.ports import ClientStore
from stint.storage.logout_delivery_store import LogoutDelivery, SqlLogoutDeliveryStore

__all__ = ["BackchannelLogout"]

log = logging.getLogger("stint.logout")

_DELIVERED = frozenset({200, 204})  # §2.8: anything else is a failure
_KEEP_FINISHED = timedelta(days=7)
_CLEANUP_SECONDS = 3600.0


class BackchannelLogout:
    def __init__(
        self,
        *,
        clients: ClientStore,
        session_clients: SessionClients,
        deliveries: SqlLogoutDeliveryStore,
        tokens: LogoutTokens,
        http: OutboundHttp,
        retry_seconds: float,
        lease_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clients = clients
        self._session_clients = session_clients
        self._deliveries = deliveries
        self._tokens = tokens
        self._http = http
        self._retry_seconds = retry_seconds
        self._lease = timedelta(seconds=lease_seconds)
        # How often the loop looks for due retries: often enough for the first backoff step.
        self._poll_seconds = min(5.0, max(0.05, retry_seconds))
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        self._failures = FailureLog(log, "retrying back-channel logouts failed")

    async def session_ended(self, session: Session) -> None:
        """Queue a logout token for each app that got an ID token in ``session``, and send them."""
        if not session.sid:
            return
        for client_id in await self._session_clients.clients(session.sid):
            client = await self._clients.get(client_id)
            uri = client.meta("backchannel_logout_uri") if client is not None else None
            if client is None or not isinstance(uri, str) or not uri:
                continue
            token = self._tokens.issue(client, session.user_id, session.sid)
            delivery = await self._deliveries.enqueue(
                client_id, uri, token, now=self._clock(), lease=self._lease
            )
            self._spawn(self._attempt(delivery))  # the browser does not wait for the apps
        await self._session_clients.remove_session(session.sid)

    async def deliver_due(self) -> int:
        """Claim and send the deliveries whose retry time has come; returns how many."""
        now = self._clock()
        if not await self._deliveries.any_due(now):
            return 0
        claimed = await self._deliveries.claim_due(now, lease=self._lease)
        await asyncio.gather(*(self._attempt(d) for d in claimed))
        return len(claimed)

    def start(self) -> None:
        """Start retrying due deliveries in the background, until ``aclose``."""
        self._loop = asyncio.create_task(self._run())

    async def aclose(self) -> None:
        """Stop the loop and abandon attempts in flight: their leases run out and they are
        retried by whichever worker looks next."""
        tasks = [*self._tasks, *([self._loop] if self._loop is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop = None

    def _spawn(self, attempt: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(attempt)
        self._tasks.add(task)  # a reference, or the task may be collected mid-flight
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, delivery: LogoutDelivery) -> None:
        try:
            token = delivery.logout_token
            if delivery.attempts > 1:  # a retry after a long backoff: the token may be stale
                client = await self._clients.get(delivery.client_id)
                token = self._tokens.renewed(token, client) if client is not None else token
            # §2.5: a form POST with the token; never logged, as it is a bearer credential.
            status = await self._http.post_form(delivery.uri, {"logout_token": token})
            error = "" if status in _DELIVERED else f"answered {status}"
        except FetchError as exc:
            error = str(exc)
        except Exception:
            log.exception("back-channel logout to client %s failed", delivery.client_id)
            error = "failed unexpectedly"
        try:
            await self._record(delivery, error)
        except Exception:  # the lease runs out and the delivery is tried again
            log.exception("recording back-channel logout %d failed", delivery.id)

    async def _record(self, delivery: LogoutDelivery, error: str) -> None:
        now = self._clock()
        if not error:
            await self._deliveries.delivered(delivery.id, now)
            return
        backoff = self._retry_seconds * 2 ** (delivery.attempts - 1)
        again = await self._deliveries.failed(
            delivery, error, retry_at=now + timedelta(seconds=backoff)
        )
        log.warning(
            "back-channel logout to client %s, attempt %d: %s; %s",
            delivery.client_id,
            delivery.attempts,
            error,
            f"retrying in {backoff:g} s" if again else "giving up",
        )

    async def _run(self) -> None:
        cleaned = time.monotonic()
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                await self.deliver_due()
                if time.monotonic() - cleaned > _CLEANUP_SECONDS:
                    cleaned = time.monotonic()
                    await self._deliveries.delete_finished(self._clock() - _KEEP_FINISHED)
            except Exception as exc:  # a database hiccup: try again at the next tick
                self._failures.failed(exc)
