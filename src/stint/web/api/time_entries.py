"""/api/time-entries and the timer: list, create, read, replace, patch, delete, start, stop."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stint.timetracking.models import EntryFields, EntryOrdering, EntryQuery
from stint.web.api.context import services
from stint.web.api.http import if_match_versions, object_id, read_body, read_query
from stint.web.api.operations import USER, Operation
from stint.web.api.representations import (
    entry_json,
    list_response,
    object_response,
    require_json,
)
from stint.web.api.schemas import (
    EntryListQuery,
    TimeEntryIn,
    TimeEntryList,
    TimeEntryOut,
    TimeEntryPatch,
    TimerStart,
)
from stint.web.pagination import decode_cursor, encode_cursor
from stint.web.problems import field_errors
from stint.web.security import Principal

__all__ = ["OPERATIONS", "as_utc_moment"]

_CSV_COLUMNS = [
    (name, (lambda row, name=name: row[name]))
    for name in ("id", "activity", "start", "end", "duration_seconds", "note")
]


def as_utc_moment(value: datetime | date, tz: Any = UTC) -> datetime:
    """A query bound: a time with offset as given, a bare date as its midnight in ``tz``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tz).astimezone(UTC)


async def list_entries(request: Request, principal: Principal) -> Response:
    svc = services(request)
    query = read_query(request, EntryListQuery)
    after = None
    if query.cursor:
        iso, last_id = decode_cursor(query.cursor, (str, int))
        try:
            last_start = datetime.fromisoformat(iso)
            if last_start.utcoffset() is None:  # ours always carry one; a naive one cannot bind
                raise ValueError(iso)
            after = (last_start.astimezone(UTC), last_id)
        except (ValueError, OverflowError):
            raise field_errors({"cursor": "is not a cursor this API returned"}) from None
    entry_query = EntryQuery(
        since=as_utc_moment(query.since) if query.since is not None else None,
        until=as_utc_moment(query.until) if query.until is not None else None,
        activity_id=query.activity,
        ordering=EntryOrdering(query.ordering),
        after=after,
        limit=query.limit + 1,
    )
    page = await svc.timetracking.entries(principal.user_id, entry_query)
    more = len(page) > query.limit
    page = page[: query.limit]
    cursor = encode_cursor([page[-1].start.isoformat(), page[-1].id]) if more else None
    now = datetime.now(UTC)
    rows = [entry_json(e, now) for e in page]
    return list_response(request, rows, cursor, _CSV_COLUMNS, "time-entries")


async def create_entry(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    body = await read_body(request, TimeEntryIn)
    fields = EntryFields(body.activity, body.start, body.end, body.note)
    entry = await svc.timetracking.create_entry(principal.user_id, fields)
    return object_response(
        request,
        entry_json(entry, datetime.now(UTC)),
        entry.version,
        status=201,
        location=f"/api/time-entries/{entry.id}",
    )


async def get_entry(request: Request, principal: Principal) -> Response:
    svc = services(request)
    entry = await svc.timetracking.entry(principal.user_id, object_id(request))
    return object_response(request, entry_json(entry, datetime.now(UTC)), entry.version)


async def replace_entry(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    body = await read_body(request, TimeEntryIn)
    fields = EntryFields(body.activity, body.start, body.end, body.note)
    entry = await svc.timetracking.replace_entry(
        principal.user_id, object_id(request), fields, if_match_versions(request)
    )
    return object_response(request, entry_json(entry, datetime.now(UTC)), entry.version)


async def patch_entry(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    body = await read_body(request, TimeEntryPatch)
    changes = body.model_dump(exclude_unset=True)
    for required in ("activity", "start", "note"):
        if required in changes and changes[required] is None:
            raise field_errors({required: "may not be null"})
    if "activity" in changes:
        changes["activity_id"] = changes.pop("activity")
    entry = await svc.timetracking.patch_entry(
        principal.user_id, object_id(request), changes, if_match_versions(request)
    )
    return object_response(request, entry_json(entry, datetime.now(UTC)), entry.version)


async def delete_entry(request: Request, principal: Principal) -> Response:
    svc = services(request)
    await svc.timetracking.delete_entry(
        principal.user_id, object_id(request), if_match_versions(request)
    )
    return Response(status_code=204)


async def stop_entry(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    entry = await svc.timetracking.stop_entry(
        principal.user_id, object_id(request), if_match_versions(request)
    )
    return object_response(request, entry_json(entry, datetime.now(UTC)), entry.version)


async def start_timer(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    body = await read_body(request, TimerStart)
    entry = await svc.timetracking.start_timer(principal.user_id, body.activity, body.note)
    return object_response(
        request,
        entry_json(entry, datetime.now(UTC)),
        entry.version,
        status=201,
        location=f"/api/time-entries/{entry.id}",
    )


_ITEM = "/api/time-entries/{id:int}"
_WRITE_ERRORS = (400, 404, 409, 412, 413, 415)

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/time-entries",
        list_entries,
        "List your time entries (overlapping from/to)",
        "time entries",
        response=TimeEntryList,
        query=EntryListQuery,
        csv=True,
        conditional=True,
        errors=(400,),
        caller=USER,
        scope="time-entries:read",
    ),
    Operation(
        "POST",
        "/api/time-entries",
        create_entry,
        "Record a time entry (no end: a running timer)",
        "time entries",
        status=201,
        body=TimeEntryIn,
        response=TimeEntryOut,
        errors=(400, 409, 413, 415),
        caller=USER,
        scope="time-entries:write",
    ),
    Operation(
        "GET",
        _ITEM,
        get_entry,
        "Read a time entry",
        "time entries",
        response=TimeEntryOut,
        conditional=True,
        errors=(404,),
        caller=USER,
        scope="time-entries:read",
    ),
    Operation(
        "PUT",
        _ITEM,
        replace_entry,
        "Replace a time entry",
        "time entries",
        body=TimeEntryIn,
        response=TimeEntryOut,
        conditional=True,
        errors=_WRITE_ERRORS,
        caller=USER,
        scope="time-entries:write",
    ),
    Operation(
        "PATCH",
        _ITEM,
        patch_entry,
        "Change some fields of a time entry",
        "time entries",
        body=TimeEntryPatch,
        response=TimeEntryOut,
        conditional=True,
        errors=_WRITE_ERRORS,
        caller=USER,
        scope="time-entries:write",
    ),
    Operation(
        "DELETE",
        _ITEM,
        delete_entry,
        "Delete a time entry",
        "time entries",
        status=204,
        conditional=True,
        errors=(404, 412),
        caller=USER,
        scope="time-entries:write",
    ),
    Operation(
        "POST",
        _ITEM + "/stop",
        stop_entry,
        "Stop a running time entry now",
        "time entries",
        response=TimeEntryOut,
        conditional=True,
        errors=(404, 412),
        caller=USER,
        scope="time-entries:write",
    ),
    Operation(
        "POST",
        "/api/timer/start",
        start_timer,
        "Start a timer on an activity (409 if one is running)",
        "time entries",
        status=201,
        body=TimerStart,
        response=TimeEntryOut,
        errors=(400, 409, 413, 415),
        caller=USER,
        scope="time-entries:write",
    ),
]
