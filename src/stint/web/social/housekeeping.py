"""Sign-ins that never came back from the provider are deleted, by any worker, now and then."""

from __future__ import annotations

import asyncio
import logging

from stint.connectors.ports import UpstreamSignInStore

__all__ = ["PRUNE_EVERY_SECONDS", "Pruner"]

log = logging.getLogger("stint.social")

PRUNE_EVERY_SECONDS = 600.0


class Pruner:
    """Started and stopped with the app (the feature's on_start and on_stop hooks)."""

    def __init__(self, pending: UpstreamSignInStore, interval: float = PRUNE_EVERY_SECONDS) -> None:
        self._pending = pending
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._pending.prune()
            except Exception:  # a database hiccup: expired ones are refused anyway; next time
                log.exception("pruning expired upstream sign-ins failed")
