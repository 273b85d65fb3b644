"""Activities and time entries as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

__all__ = ["Activity", "ActivityFields", "EntryFields", "EntryOrdering", "EntryQuery", "TimeEntry"]


@dataclass(frozen=True, slots=True)
class Activity:
    id: int
    user_id: int
    name: str
    description: str
    colour: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class ActivityFields:
    """The fields a client sets; the rest the store keeps."""

    name: str
    description: str = ""
    colour: str | None = None
    archived: bool = False


@dataclass(frozen=True, slots=True)
class TimeEntry:
    id: int
    user_id: int
    activity_id: int
    start: datetime
    end: datetime | None  # None: a running timer
    note: str
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def running(self) -> bool:
        return self.end is None


@dataclass(frozen=True, slots=True)
class EntryFields:
    activity_id: int
    start: datetime
    end: datetime | None = None
    note: str = ""


class EntryOrdering(Enum):
    START_ASC = "start"
    START_DESC = "-start"


@dataclass(frozen=True, slots=True)
class EntryQuery:
    """A page of entries: overlapping [since, until), optionally of one activity."""

    since: datetime | None = None
    until: datetime | None = None
    activity_id: int | None = None
    ordering: EntryOrdering = EntryOrdering.START_DESC
    after: tuple[datetime, int] | None = None  # keyset cursor: (start, id) of the last row seen
    limit: int = 50
