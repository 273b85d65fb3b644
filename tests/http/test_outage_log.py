"""FailureLog: one line per interval while something stays down, counting the rest."""

from __future__ import annotations

import logging

import pytest

from stint.failure_log import FailureLog


def test_failures_within_the_interval_share_one_line_and_the_next_line_counts_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    outage = FailureLog(
        logging.getLogger("stint.web"), "database unavailable", interval=10, clock=lambda: now[0]
    )
    error = ConnectionRefusedError(111, "Connect call failed")
    with caplog.at_level(logging.ERROR, logger="stint.web"):
        for t in (0.0, 1.0, 9.9):
            now[0] = t
            outage.failed(error, "GET /api/activities")
        assert len(caplog.records) == 1
        now[0] = 10.0
        outage.failed(error, "POST /o/token/")
    first, second = (r.getMessage() for r in caplog.records)
    assert "GET /api/activities" in first and "more since" not in first
    assert "POST /o/token/" in second and "(2 more since the last report)" in second
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback
