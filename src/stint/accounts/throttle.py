"""Login throttling: failures per account and per client address, counted in a shared store."""

from __future__ import annotations

from dataclasses import dataclass

from stint.accounts.ports import CounterStore

__all__ = ["LoginThrottle", "ThrottleLimits"]


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    failures_per_account: int
    failures_per_ip: int
    window_seconds: int
    backoff_base_seconds: float = 0.0
    backoff_max_seconds: float = 4.0


class LoginThrottle:
    """Refuses password checks once an account or an address has failed too often in a window.

    The check happens before the (deliberately slow) password hash runs, so a flood of guesses
    costs Stint a counter lookup each, not 20 ms of CPU.
    """

    def __init__(self, counters: CounterStore, limits: ThrottleLimits) -> None:
        self._counters = counters
        self._limits = limits

    @property
    def retry_after(self) -> int:
        return self._limits.window_seconds

    async def allowed(self, username_key: str, ip: str) -> bool:
        if await self._counters.get(f"login:ip:{ip}") >= self._limits.failures_per_ip:
            return False
        return await self._counters.get(f"login:user:{username_key}") < (
            self._limits.failures_per_account
        )

    async def record_failure(self, username_key: str, ip: str) -> float:
        """Count a failure; return how long to wait before answering (exponential backoff)."""
        window = self._limits.window_seconds
        await self._counters.increment(f"login:ip:{ip}", window)
        failures = await self._counters.increment(f"login:user:{username_key}", window)
        base = self._limits.backoff_base_seconds
        return min(base * 2 ** (failures - 1), self._limits.backoff_max_seconds) if base else 0.0

    async def record_success(self, username_key: str) -> None:
        await self._counters.reset(f"login:user:{username_key}")
