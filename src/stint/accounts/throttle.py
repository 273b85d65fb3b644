"""Sign-in throttling: attempts per client address and per account from that address, counted in
a store every worker shares, before any password is checked."""

from __future__ import annotations

from dataclasses import dataclass

from stint.accounts.ports import CounterStore

__all__ = ["LoginThrottle", "ThrottleLimits"]


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    failures_per_account_and_ip: int
    failures_per_ip: int
    window_seconds: int
    backoff_base_seconds: float = 0.0
    backoff_max_seconds: float = 4.0


class LoginThrottle:
    """Refuses a password check once its address, or its account from that address, has tried
    too often in the window.

    Each attempt is counted before its password is checked, by one atomic increment that returns
    the new count, so a burst of concurrent guesses cannot all pass a check made before any of
    them failed: at most the limit is ever verified. A success gives its attempt back, so an
    owner signing in often is never throttled by their own successes.

    Failures are never counted against the account alone: that would let anyone lock the owner
    out from elsewhere. Guesses spread over many addresses are slowed instead: every failed
    answer for the account waits longer, doubling with the account's failures in the window.
    """

    def __init__(self, counters: CounterStore, limits: ThrottleLimits) -> None:
        self._counters = counters
        self._limits = limits

    @property
    def retry_after(self) -> int:
        return self._limits.window_seconds

    async def attempt(self, username_key: str, ip: str) -> bool:
        """Count one attempt; False when it is over a limit and must not be checked."""
        window = self._limits.window_seconds
        if await self._counters.increment(_ip(ip), window) > self._limits.failures_per_ip:
            return False
        tried = await self._counters.increment(_account_ip(username_key, ip), window)
        return tried <= self._limits.failures_per_account_and_ip

    async def succeeded(self, username_key: str, ip: str) -> None:
        """The password was right: give the attempt back, forget this address's failures."""
        await self._counters.decrement(_ip(ip))
        await self._counters.reset(_account_ip(username_key, ip))

    async def failed(self, username_key: str) -> float:
        """The password was wrong: how long to wait before answering (exponential backoff)."""
        base = self._limits.backoff_base_seconds
        if not base:
            return 0.0
        failures = await self._counters.increment(
            f"login:account:{username_key}", self._limits.window_seconds
        )
        return float(min(base * 2 ** (failures - 1), self._limits.backoff_max_seconds))


def _ip(ip: str) -> str:
    return f"login:ip:{ip}"


def _account_ip(username_key: str, ip: str) -> str:
    return f"login:account-ip:{username_key}\0{ip}"
