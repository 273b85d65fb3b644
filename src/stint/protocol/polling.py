"""The polling rule the device flow (RFC 8628 §3.5) and CIBA (CIBA Core §11) share."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["polled_too_soon"]


def polled_too_soon(last_polled_at: datetime | None, now: datetime, interval_seconds: int) -> bool:
    """A poll sooner than ``interval_seconds`` after the last one: answered ``slow_down``."""
    return last_polled_at is not None and now - last_polled_at < timedelta(seconds=interval_seconds)
