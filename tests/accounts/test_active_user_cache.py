"""The account status cache: a disabled account is refused within the cache time, and no request
waits for an expired status to reload (it used to: ~80 ms per expiry on a busy PostgreSQL)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.models import User
from stint.accounts.service import AccountService
from stint.accounts.throttle import LoginThrottle, ThrottleLimits
from tests.conftest import FAST_HASHING

pytestmark = pytest.mark.anyio

ADA = User(1, "ada", "unused", False, datetime(2026, 1, 1, tzinfo=UTC))


class SlowUsers:
    """The part of the UserStore port that active_user reads; ``by_id`` waits for ``gate``."""

    def __init__(self) -> None:
        self.user = ADA
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def by_id(self, user_id: int) -> User | None:
        self.reads += 1
        await self.gate.wait()
        return self.user if user_id == self.user.id else None


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def service(users: SlowUsers, clock: Clock) -> AccountService:
    throttle = LoginThrottle(MemoryCounterStore(), ThrottleLimits(10, 50, 300))
    return AccountService(
        users,  # type: ignore[arg-type]  # only by_id is used here
        FAST_HASHING,
        throttle,
        cache_key=b"k" * 32,
        user_cache_seconds=5,
        clock=clock,
    )


async def test_an_expired_account_status_is_answered_without_waiting_for_the_database() -> None:
    users, clock = SlowUsers(), Clock()
    accounts = service(users, clock)
    assert await accounts.active_user(ADA.id) == ADA

    users.gate.clear()  # the database answers slowly from now on
    clock.now += 6
    for _ in range(16):  # the requests in flight when the status expired
        assert await asyncio.wait_for(accounts.active_user(ADA.id), timeout=5) == ADA
    assert users.reads == 2  # one reload, in the background, for all of them


async def test_a_disabled_account_is_refused_once_the_reload_has_read_it() -> None:
    users, clock = SlowUsers(), Clock()
    accounts = service(users, clock)
    await accounts.active_user(ADA.id)
    users.user = dataclasses.replace(ADA, disabled=True)

    clock.now += 4
    assert await accounts.active_user(ADA.id) == ADA  # within the cache time
    clock.now += 2
    await accounts.active_user(ADA.id)  # expired: starts the reload
    await asyncio.sleep(0)  # yield to the reload (no time passes)
    assert await accounts.active_user(ADA.id) is None
    clock.now += 60  # long unused: read again before answering
    users.user = ADA
    assert await accounts.active_user(ADA.id) == ADA
