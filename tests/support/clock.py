"""A clock the test moves: injected wherever the code takes a ``clock`` callable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Clock"]


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        """Seconds since the epoch, for code that takes a ``Callable[[], float]`` clock."""
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
