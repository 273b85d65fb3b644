"""The inline SQLite reader's value conversion: what a row holds is what the store returns."""

from __future__ import annotations

from datetime import UTC, datetime

from stint.storage.inline_sqlite import _boolean, _Timestamps, _utc_datetime


def test_stored_timestamps_read_back_as_utc_datetimes() -> None:
    assert _utc_datetime("2026-03-02 12:00:00.000001") == datetime(2026, 3, 2, 12, 0, 0, 1, UTC)
    assert _utc_datetime(None) is None


def test_a_timestamp_read_twice_is_the_same_value() -> None:
    first = _utc_datetime("2026-03-02 12:00:00.000000")
    assert _utc_datetime("2026-03-02 12:00:00.000000") == first
    assert first is not None and first.tzinfo is UTC


def test_the_parsed_timestamps_kept_stay_bounded() -> None:
    timestamps = _Timestamps()
    timestamps.limit = 3
    for second in range(10):
        assert timestamps[f"2026-03-02 12:00:{second:02d}"] == datetime(
            2026, 3, 2, 12, 0, second, tzinfo=UTC
        )
        assert len(timestamps) <= 3


def test_booleans_read_back_as_booleans() -> None:
    assert [_boolean(v) for v in (0, 1, None, 2)] == [False, True, None, True]
