"""The core's background loops: each worker picks up rotated keys and prunes old revocations."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from stint.protocol.keys import KeyRing
from stint.storage.revocation_log import SqlRevocationLog

__all__ = ["PRUNE_EVERY_SECONDS", "prune_revocations_forever", "refresh_keys_forever"]

log = logging.getLogger("stint")

PRUNE_EVERY_SECONDS = 600.0


async def refresh_keys_forever(keys: KeyRing, interval: float) -> None:
    """Pick up keys rotated by any host (`stint keys rotate`), so every worker signs alike."""
    while True:
        await asyncio.sleep(interval)
        try:
            await keys.reload()
        except Exception:  # a database hiccup: keep the keys we have, try again next time
            log.exception("reloading the signing keys failed")


async def prune_revocations_forever(revocation_log: SqlRevocationLog) -> None:
    """Forget revocation events once what they revoked has long expired (any worker may)."""
    while True:
        await asyncio.sleep(PRUNE_EVERY_SECONDS)
        try:
            await revocation_log.prune(datetime.now(UTC) - timedelta(hours=1))
        except Exception:  # a database hiccup: try again next time
            log.exception("pruning the revocation log failed")
