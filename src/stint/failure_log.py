"""One log line per interval for a failure that repeats while something stays down.

A database outage under load fails every request and every background tick at once; a
traceback for each buried the log (245,000 lines in 80 s). Each place that can fail repeatedly
reports through its own FailureLog: the first failure is logged at once, the ones that follow
within ``interval`` are counted and named in the next line. Tracebacks only at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["FailureLog"]


class FailureLog:
    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._what = what
        self._interval = interval
        self._clock = clock
        self._next = float("-inf")
        self._suppressed = 0

    def failed(self, exc: BaseException, context: str = "") -> None:
        now = self._clock()
        if now < self._next:
            self._suppressed += 1
            return
        more = f" ({self._suppressed} more since the last report)" if self._suppressed else ""
        where = f" on {context}" if context else ""
        reason = str(exc).splitlines()[0] if str(exc) else ""
        self._logger.error(
            "%s%s: %s: %s%s",
            self._what,
            where,
            type(exc).__name__,
            reason,
            more,
            exc_info=exc if self._logger.isEnabledFor(logging.DEBUG) else None,
        )
        self._next = now + self._interval
        self._suppressed = 0
