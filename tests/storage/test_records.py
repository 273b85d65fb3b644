"""record_maker: a record built from a row is the frozen domain record, not a look-alike."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from stint.storage.records import record_maker
from stint.timetracking.models import Activity, TimeEntry

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_made_record_equals_and_is_the_frozen_record() -> None:
    values = (1, 7, "Writing", "", "#1e90ff", False, NOW, NOW, 3)
    made = record_maker(Activity)(*values)
    assert type(made) is Activity
    assert made == Activity(*values)
    assert hash(made) == hash(Activity(*values))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.name = "Reading"  # type: ignore[misc]


def test_a_made_time_entry_keeps_its_properties() -> None:
    running = record_maker(TimeEntry)(1, 7, 2, NOW, None, "", NOW, NOW, 1)
    assert running.running
    assert running == TimeEntry(1, 7, 2, NOW, None, "", NOW, NOW, 1)


def test_only_frozen_slots_dataclasses_are_accepted() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        id: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        id: int

    for cls in (Mutable, NoSlots):
        with pytest.raises(TypeError):
            record_maker(cls)
