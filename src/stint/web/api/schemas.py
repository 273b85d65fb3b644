"""Pydantic models: they validate request bodies and queries, and describe every body in OpenAPI."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)
from pydantic.json_schema import SkipJsonSchema

from stint.accounts import password_policy, usernames

__all__ = [
    "ActivityIn",
    "ActivityList",
    "ActivityOut",
    "ActivityPatch",
    "ClockOut",
    "DeleteActivityQuery",
    "EntryListQuery",
    "GreetingOut",
    "ListQuery",
    "Problem",
    "SummaryOut",
    "SummaryQuery",
    "TimeEntryIn",
    "TimeEntryList",
    "TimeEntryOut",
    "TimeEntryPatch",
    "TimerStart",
    "TokenOut",
    "UserCreate",
    "UserOut",
]


class Body(BaseModel):
    """Request bodies: unknown fields and loose types are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


Name = Annotated[str, Field(min_length=1, max_length=100, description="Unique per user")]
Text = Annotated[str, Field(max_length=2000)]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#1e90ff"])]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
D = TypeVar("D", bound=date)


def _in_range(value: D) -> D:
    # Converting to UTC or another time zone, or adding a day, must stay within datetime's years
    # 1 to 9999: an OverflowError there would be a 500 for a mistyped year.
    if not 2 <= value.year <= 9998:
        raise ValueError("must be between the years 2 and 9998")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: object) -> object:
    # Pydantic reads a number, or a string of digits, as a Unix time ("1" is 1970-01-01T00:00:01Z)
    # even in strict mode; the document promises ISO 8601 text, so that is all a time may be.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("must be an ISO 8601 date or time, as in 2026-11-22T09:30:00+01:00")


# Strict(False): in a strict body, a strict datetime would refuse the text the check passes on.
Instant = Annotated[
    AwareDatetime, Strict(False), BeforeValidator(_iso_text), AfterValidator(_in_range)
]
Moment = Annotated[
    AwareDatetime | date,
    BeforeValidator(_iso_text),
    AfterValidator(_in_range),
    Field(description="ISO 8601 time with offset, or a date"),
]


class UserCreate(Body):
    username: str = Field(
        min_length=usernames.MIN_LENGTH,
        max_length=usernames.MAX_LENGTH,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    )
    password: str = Field(
        min_length=password_policy.MIN_LENGTH, max_length=password_policy.MAX_LENGTH
    )


class UserOut(Out):
    id: int
    username: str


class TokenOut(Out):
    token: str
    token_type: Literal["Bearer"]
    expires_in: int


class GreetingOut(Out):
    data: str


class ClockOut(Out):
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int


class ActivityIn(Body):
    name: Name
    description: Text = ""
    colour: Colour | None = None
    archived: bool = False


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# A PATCH field that may be left out but not set to null (the endpoint refuses null with a 400):
# the document shows neither null nor a null default. A nullable field keeps `| None`.
Omitted = SkipJsonSchema[None]
_OMITTED: Any = Field(default=None, json_schema_extra=_no_default)


class ActivityPatch(Body):
    name: Name | Omitted = _OMITTED
    description: Text | Omitted = _OMITTED
    colour: Colour | None = None
    archived: bool | Omitted = _OMITTED


class ActivityOut(Out):
    id: int
    name: str
    description: str
    colour: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime


class ActivityList(Out):
    items: list[ActivityOut]
    next: str | None = Field(description="URL of the next page, or null on the last page")


class TimeEntryIn(Body):
    activity: Id
    start: Instant
    end: Instant | None = Field(default=None, description="null: a running timer")
    note: Text = ""


class TimeEntryPatch(Body):
    activity: Id | Omitted = _OMITTED
    start: Instant | Omitted = _OMITTED
    end: Instant | None = None
    note: Text | Omitted = _OMITTED


class TimeEntryOut(Out):
    id: int
    activity: int
    start: datetime
    end: datetime | None
    running: bool
    duration_seconds: int = Field(description="Up to now for a running entry")
    note: str
    created_at: datetime
    updated_at: datetime


class TimeEntryList(Out):
    items: list[TimeEntryOut]
    next: str | None


class TimerStart(Body):
    activity: Id
    note: Text = ""


class ListQuery(Query):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=512)


class EntryListQuery(ListQuery):
    since: Moment | None = Field(default=None, alias="from", description="Entries ending after")
    until: Moment | None = Field(default=None, alias="to", description="Entries starting before")
    activity: Id | None = None
    ordering: Literal["start", "-start"] = "-start"


class DeleteActivityQuery(Query):
    cascade: bool = Field(default=False, description="Also delete the activity's time entries")


class SummaryQuery(Query):
    since: Moment = Field(alias="from")
    until: Moment = Field(alias="to")
    group_by: Literal["activity", "day", "week"] = "activity"
    tz: str = Field(default="UTC", max_length=64, description="IANA time zone, e.g. Europe/Paris")


class SummaryGroupOut(Out):
    key: str = Field(description="Activity id, local date, or the Monday starting the ISO week")
    label: str
    seconds: int


class SummaryOut(Out):
    from_: datetime = Field(alias="from")
    to: datetime
    tz: str
    group_by: str
    total_seconds: int
    groups: list[SummaryGroupOut]


class FieldError(Out):
    field: str
    message: str


class Problem(Out):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
