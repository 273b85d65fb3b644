"""OutageLog: one line per interval while the database is unreachable, counting the rest."""

from __future__ import annotations

import logging

import pytest

from stint.web.error_boundary import OutageLog


def test_failures_within_the_interval_share_one_line_and_the_next_line_counts_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    outage = OutageLog(interval=10, clock=lambda: now[0])
    error = ConnectionRefusedError(111, "Connect call failed")
    with caplog.at_level(logging.ERROR, logger="stint.web"):
        for t in (0.0, 1.0, 9.9):
            now[0] = t
            outage.failed("GET", "/api/activities", error)
        assert len(caplog.records) == 1
        now[0] = 10.0
        outage.failed("POST", "/o/token/", error)
    first, second = (r.getMessage() for r in caplog.records)
    assert "GET /api/activities" in first and "more failures" not in first
    assert "POST /o/token/" in second and "(2 more failures since the last report)" in second
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback
