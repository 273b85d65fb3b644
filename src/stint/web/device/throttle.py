"""How many user codes /device checks from one address, and for one code (RFC 8628 §5.1).

A user code has about 34.5 bits, safe only while guessing is slow: every attempt is counted
before its lookup, atomically, so a burst of concurrent guesses gets no more lookups than the
limit; an attempt that found a waiting request is given back. Counts live in the shared counter
store (Redis when configured, else the database), so every worker and host sees the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from stint.accounts.ports import CounterStore
from stint.protocol.device.user_code import normalise
from stint.protocol.secrets import SecretHasher

__all__ = ["Attempt", "UserCodeThrottle"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One counted attempt: its counters' keys, and whether it is over a limit."""

    keys: tuple[str, ...]
    refused: bool


@dataclass(frozen=True, slots=True)
class UserCodeThrottle:
    counters: CounterStore
    hasher: SecretHasher  # a code is counted under its keyed hash, never as typed
    per_address: int  # attempts that found nothing, per address and window
    per_code: int  # attempts at one code that found nothing, before it is burnt for the window
    window_seconds: int

    async def attempt(self, address: str, user_code: str) -> Attempt:
        """Count an attempt from ``address`` at ``user_code`` (as typed), before looking it up."""
        keys = [f"device:ip:{address}"]
        limits = [self.per_address]
        code = normalise(user_code)
        if code is not None:  # what cannot be a code counts against the address alone
            keys.append(f"device:code:{self.hasher.hash(code)}")
            limits.append(self.per_code)
        counts = [await self.counters.increment(key, self.window_seconds) for key in keys]
        refused = any(count > limit for count, limit in zip(counts, limits, strict=True))
        return Attempt(tuple(keys), refused)

    async def found(self, attempt: Attempt) -> None:
        """The attempt found a waiting request: it is no guess, so it is given back."""
        for key in attempt.keys:
            await self.counters.decrement(key)
