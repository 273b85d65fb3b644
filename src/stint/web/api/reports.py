"""/api/reports/summary: time totals per activity, day or week, in the caller's time zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from stint.timetracking.errors import NotFoundError
from stint.timetracking.reports import GroupBy
from stint.web.api.context import services
from stint.web.api.http import read_query
from stint.web.api.operations import USER, Operation
from stint.web.api.representations import require_json
from stint.web.api.schemas import SummaryOut, SummaryQuery
from stint.web.api.time_entries import as_utc_moment
from stint.web.problems import field_errors
from stint.web.responses import JSONResponse
from stint.web.security import Principal

__all__ = ["OPERATIONS"]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise field_errors({"tz": "is not an IANA time zone, such as Europe/Paris"}) from None


async def summary(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)
    query = read_query(request, SummaryQuery)
    tz = _zone(query.tz)
    since, until = as_utc_moment(query.since, tz), as_utc_moment(query.until, tz)
    group_by = GroupBy(query.group_by)
    report = await svc.timetracking.summary(
        principal.user_id, since=since, until=until, tz=tz, group_by=group_by
    )
    groups = []
    for group in report.groups:
        label = group.key
        if group_by is GroupBy.ACTIVITY:
            try:
                activity = await svc.timetracking.activity(principal.user_id, int(group.key))
                label = activity.name
            except NotFoundError:
                label = "(deleted activity)"
        groups.append({"key": group.key, "label": label, "seconds": group.seconds})
    return JSONResponse(
        {
            "from": since,
            "to": until,
            "tz": query.tz,
            "group_by": group_by.value,
            "total_seconds": report.total_seconds,
            "groups": groups,
        }
    )


OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/reports/summary",
        summary,
        "Time totals over [from, to), running entries counted up to now",
        "reports",
        response=SummaryOut,
        query=SummaryQuery,
        errors=(400,),
        caller=USER,
        scope="reports:read",
    ),
]
