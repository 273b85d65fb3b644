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
    # Failures of one account, from every address, past which each address gets one attempt.
    account_ceiling: int | None = None


class LoginThrottle:
    """Refuses a password check once its address, or its account from that address, has tried
    too often in the window.

    Each attempt is counted before its password is checked, by one atomic increment that returns
    the new count, so a burst of concurrent guesses cannot all pass a check made before any of
    them failed: at most the limit is ever verified. A success gives its attempt back, so an
    owner signing in often is never throttled by their own successes.

    No count locks an account for everyone: that would let anyone lock the owner out. Guesses
    spread over many addresses are slowed instead: each failed answer for the account waits
    longer (exponential backoff), and past the account's ceiling every address gets only its
    first attempt per window at the account, so the owner still gets theirs.
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
        if tried > self._limits.failures_per_account_and_ip:
            return False
        ceiling = self._limits.account_ceiling
        return (
            tried == 1
            or ceiling is None
            or await self._counters.get(_account(username_key)) < ceiling
        )

    async def allows(self, username_key: str, ip: str) -> bool:
        """Whether an attempt would be checked now, counting nothing: for credentials already
        verified (the cache), which confirm no new guess but must not pass a throttled address."""
        limits = self._limits
        if await self._counters.get(_ip(ip)) >= limits.failures_per_ip:
            return False
        tried = await self._counters.get(_account_ip(username_key, ip))
        return tried < limits.failures_per_account_and_ip

    async def succeeded(self, username_key: str, ip: str) -> None:
        """The password was right: give the attempt back, forget this address's failures."""
        await self._counters.decrement(_ip(ip))
        await self._counters.reset(_account_ip(username_key, ip))

    async def failed(self, username_key: str) -> float:
        """The password was wrong: how long to wait before answering (exponential backoff)."""
        failures = await self._counters.increment(
            _account(username_key), self._limits.window_seconds
        )
        base = self._limits.backoff_base_seconds
        if not base:
            return 0.0
        return float(min(base * 2 ** (failures - 1), self._limits.backoff_max_seconds))


def _ip(ip: str) -> str:
    return f"login:ip:{ip}"


def _account(username_key: str) -> str:
    return f"login:account:{username_key}"


def _account_ip(username_key: str, ip: str) -> str:
    return f"login:account-ip:{username_key}\0{ip}"
