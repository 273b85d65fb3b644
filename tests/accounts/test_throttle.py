"""LoginThrottle against the in-process counters: who is refused, who is only slowed."""

from __future__ import annotations

import pytest

from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.throttle import LoginThrottle, ThrottleLimits

pytestmark = pytest.mark.anyio

LIMITS = ThrottleLimits(
    failures_per_account_and_ip=3,
    failures_per_ip=5,
    window_seconds=60,
    backoff_base_seconds=0.25,
    backoff_max_seconds=4.0,
    account_ceiling=4,
)


async def test_an_account_is_refused_only_from_the_address_that_failed() -> None:
    throttle = LoginThrottle(MemoryCounterStore(), LIMITS)
    assert [await throttle.attempt("alice", "10.0.0.1") for _ in range(4)] == [True] * 3 + [False]
    assert await throttle.attempt("alice", "10.0.0.2")
    assert await throttle.attempt("bob", "10.0.0.1")


async def test_an_address_is_refused_after_its_limit_over_all_accounts() -> None:
    throttle = LoginThrottle(MemoryCounterStore(), LIMITS)
    allowed = [await throttle.attempt(f"user{i}", "10.0.0.1") for i in range(6)]
    assert allowed == [True] * 5 + [False]


async def test_a_success_gives_the_attempt_back_and_forgets_the_addresses_failures() -> None:
    throttle = LoginThrottle(MemoryCounterStore(), LIMITS)
    for _ in range(2):
        assert await throttle.attempt("alice", "10.0.0.1")
    await throttle.succeeded("alice", "10.0.0.1")
    assert [await throttle.attempt("alice", "10.0.0.1") for _ in range(4)] == [True] * 3 + [False]


async def test_failures_from_many_addresses_slow_the_account_down_up_to_a_ceiling() -> None:
    throttle = LoginThrottle(MemoryCounterStore(), LIMITS)
    delays = []
    for i in range(7):  # each from a new address: its first attempt passes any ceiling
        assert await throttle.attempt("alice", f"10.0.1.{i}")  # never refused
        delays.append(await throttle.failed("alice"))
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert await throttle.failed("bob") == 0.25


async def test_the_window_passing_lifts_the_refusal() -> None:
    now = [0.0]
    throttle = LoginThrottle(MemoryCounterStore(clock=lambda: now[0]), LIMITS)
    for _ in range(3):
        await throttle.attempt("alice", "10.0.0.1")
    assert not await throttle.attempt("alice", "10.0.0.1")
    now[0] += LIMITS.window_seconds
    assert await throttle.attempt("alice", "10.0.0.1")


async def test_past_the_account_ceiling_each_address_gets_one_attempt_at_it() -> None:
    throttle = LoginThrottle(MemoryCounterStore(), LIMITS)
    for i in range(4):
        assert await throttle.attempt("alice", f"10.0.1.{i}")
        await throttle.failed("alice")
    assert await throttle.attempt("alice", "10.0.2.1")  # a new address: its first attempt
    assert not await throttle.attempt("alice", "10.0.2.1")
    assert await throttle.attempt("bob", "10.0.2.1")  # other accounts are not slowed
    assert await throttle.attempt("bob", "10.0.2.1")
    # The owner's first attempt goes through; a success keeps the next one a first.
    assert await throttle.attempt("alice", "192.0.2.1")
    await throttle.succeeded("alice", "192.0.2.1")
    assert await throttle.attempt("alice", "192.0.2.1")
