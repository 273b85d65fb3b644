"""SqlLogoutDeliveryStore: back-channel logout tokens still to be delivered, with their retries
(OpenID Connect Back-Channel Logout 1.0 §2.5, §2.8).

A delivery is *claimed* before it is sent: one conditional UPDATE pushes ``next_attempt_at``
forward by a lease and counts the attempt, so of two workers only one sends it; if the sender
dies, the lease runs out and another worker retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from stint.storage.database import Database
from stint.storage.tables import logout_deliveries

__all__ = ["LogoutDelivery", "SqlLogoutDeliveryStore"]

_d = logout_deliveries.c
_RETURNED = (_d.id, _d.client_id, _d.uri, _d.logout_token, _d.attempts)


@dataclass(frozen=True, slots=True)
class LogoutDelivery:
    id: int
    client_id: str
    uri: str
    logout_token: str
    attempts: int  # including the one just claimed


def _delivery(row: Any) -> LogoutDelivery:
    return LogoutDelivery(*row)


class SqlLogoutDeliveryStore:
    def __init__(self, db: Database, *, max_attempts: int) -> None:
        self._db = db
        self._max_attempts = max_attempts

    def _due(self, now: datetime) -> Any:
        return and_(
            _d.delivered_at.is_(None),
            _d.attempts < self._max_attempts,
            _d.next_attempt_at <= now,
        )

    async def enqueue(
        self, client_id: str, uri: str, logout_token: str, *, now: datetime, lease: timedelta
    ) -> LogoutDelivery:
        """Record a delivery, already claimed for its first attempt, which the caller makes now."""
        async with self._db.write() as conn:
            result = await conn.execute(
                logout_deliveries.insert()
                .values(
                    client_id=client_id,
                    uri=uri,
                    logout_token=logout_token,
                    attempts=1,
                    next_attempt_at=now + lease,
                    created_at=now,
                )
                .returning(*_RETURNED)
            )
            return _delivery(result.one())

    async def any_due(self, now: datetime) -> bool:
        """A cheap read, so an idle worker does not take the write lock to find nothing."""
        async with self._db.read() as conn:
            query = select(_d.id).where(self._due(now)).limit(1)
            return (await conn.execute(query)).first() is not None

    async def claim_due(
        self, now: datetime, *, lease: timedelta, limit: int = 20
    ) -> list[LogoutDelivery]:
        """Claim up to ``limit`` due deliveries for this worker; each is counted as an attempt."""
        candidates = (
            select(_d.id)
            .where(self._due(now))
            .order_by(_d.next_attempt_at)
            .limit(limit)
            # PostgreSQL: skip rows another worker is claiming (SQLite has one writer anyway).
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self._db.write() as conn:
            # The condition is repeated on the row itself: PostgreSQL re-checks it after waiting
            # for a row lock, so a row another worker just claimed is not claimed again.
            result = await conn.execute(
                update(logout_deliveries)
                .where(_d.id.in_(candidates), self._due(now))
                .values(attempts=_d.attempts + 1, next_attempt_at=now + lease)
                .returning(*_RETURNED)
            )
            return sorted((_delivery(row) for row in result), key=lambda d: d.id)

    async def delivered(self, delivery_id: int, now: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(logout_deliveries)
                .where(_d.id == delivery_id)
                .values(delivered_at=now, last_error="")
            )

    async def failed(self, delivery: LogoutDelivery, error: str, *, retry_at: datetime) -> bool:
        """Record a failed attempt; returns whether another will be made (False: given up)."""
        again = delivery.attempts < self._max_attempts
        async with self._db.write() as conn:
            await conn.execute(
                update(logout_deliveries)
                .where(_d.id == delivery.id, _d.delivered_at.is_(None))
                .values(last_error=error[:200], next_attempt_at=retry_at)
            )
        return again

    async def pending(self) -> list[LogoutDelivery]:
        """Deliveries neither made nor given up, oldest first (for operators and tests)."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(*_RETURNED)
                .where(_d.delivered_at.is_(None), _d.attempts < self._max_attempts)
                .order_by(_d.id)
            )
            return [_delivery(row) for row in rows]

    async def status(self, delivery_id: int) -> tuple[int, datetime | None, str] | None:
        """(attempts, delivered_at, last_error) of one delivery, or None if there is none."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(_d.attempts, _d.delivered_at, _d.last_error).where(_d.id == delivery_id)
                )
            ).first()
            return (row[0], row[1], row[2]) if row is not None else None

    async def delete_finished(self, before: datetime) -> int:
        """Forget deliveries created before ``before`` that were made or given up."""
        finished = or_(_d.delivered_at.is_not(None), _d.attempts >= self._max_attempts)
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(logout_deliveries).where(_d.created_at < before, finished)
            )
            return int(result.rowcount)
