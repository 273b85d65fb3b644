"""Ping and push notifications to a client's ``backchannel_client_notification_endpoint``
(CIBA Core §10.2, §10.3, §12), sent in the background after the person decides, so the
approval page never waits for the client; retried with exponential backoff, a bounded number
of times."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stint.failure_log import FailureLog
from stint.outbound.fetch import FetchError, OutboundHttp

__all__ = ["Notification", "Notifier"]

log = logging.getLogger("stint.ciba")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Notification:
    """One POST to a client: its endpoint, its client_notification_token, the JSON body."""

    client_id: str
    endpoint: str
    bearer: str | None = field(repr=False)  # §7.1: the client_notification_token, as Bearer
    payload: Mapping[str, Any] = field(repr=False)  # tokens, for push: never logged


class Notifier:
    """Delivers notifications in background tasks; ``aclose`` abandons those in flight."""

    def __init__(
        self,
        http: OutboundHttp,
        *,
        attempts: int,
        retry_seconds: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self._attempts = attempts
        self._retry_seconds = retry_seconds
        self._sleep = sleep
        self._tasks: set[asyncio.Task[bool]] = set()
        self._failures = FailureLog(log, "a CIBA notification failed unexpectedly")

    def send(self, notification: Notification) -> asyncio.Task[bool]:
        """Start delivering ``notification``; the task ends True once the client took it."""
        task = asyncio.create_task(self.deliver(notification))
        self._tasks.add(task)  # a reference, or the task may be collected mid-flight
        task.add_done_callback(self._tasks.discard)
        return task

    async def deliver(self, notification: Notification) -> bool:
        """POST until the client answers 2xx or the attempts run out; True if it took it."""
        for attempt in range(1, self._attempts + 1):
            try:
                status = await self._http.post_json(
                    notification.endpoint, notification.payload, bearer=notification.bearer
                )
                # §10.2, §10.3: the client answers 204 (200 accepted too: any 2xx took it).
                error = "" if 200 <= status < 300 else f"answered {status}"
            except FetchError as exc:
                error = str(exc)
            except Exception as exc:
                self._failures.failed(exc)
                error = "failed unexpectedly"
            if not error:
                return True
            last = attempt == self._attempts
            backoff = self._retry_seconds * 2 ** (attempt - 1)
            log.warning(
                "CIBA notification to client %s, attempt %d: %s; %s",
                notification.client_id,
                attempt,
                error,
                "giving up" if last else f"retrying in {backoff:g} s",
            )
            if not last:
                await self._sleep(backoff)
        return False

    async def settle(self) -> None:
        """Wait for the deliveries in flight (tests: what was sent has arrived)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop; deliveries still in flight are abandoned (they live in this process only)."""
        tasks = list(self._tasks)
        if tasks:
            log.warning("shutting down: %d CIBA notification(s) not delivered", len(tasks))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
