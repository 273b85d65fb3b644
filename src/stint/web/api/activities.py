"""/api/activities: list, create, read, replace, patch, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stint.timetracking.models import ActivityFields
from stint.web.api.context import services
from stint.web.api.http import if_match_versions, object_id, read_body, read_query
from stint.web.api.operations import USER, Operation
from stint.web.api.representations import (
    activity_json,
    list_response,
    object_response,
    require_json,
)
from stint.web.api.schemas import (
    ActivityIn,
    ActivityList,
    ActivityOut,
    ActivityPatch,
    DeleteActivityQuery,
    ListQuery,
)
from stint.web.pagination import decode_cursor, encode_cursor
from stint.web.problems import field_errors
from stint.web.security import Principal

__all__ = ["OPERATIONS"]

_CSV_COLUMNS = [
    (name, (lambda row, name=name: row[name]))
    for name in ("id", "name", "description", "colour", "archived", "created_at", "updated_at")
]


async def list_activities(request: Request, principal: Principal) -> Response:
    svc = services(request)
    query = read_query(request, ListQuery)
    after_id = decode_cursor(query.cursor, (int,))[0] if query.cursor else 0
    page = await svc.timetracking.activities(
        principal.user_id, after_id=after_id, limit=query.limit + 1
    )
    more = len(page) > query.limit
    page = page[: query.limit]
    cursor = encode_cursor([page[-1].id]) if more else None
    rows = [activity_json(a) for a in page]
    return list_response(request, rows, cursor, _CSV_COLUMNS, "activities")


async def create_activity(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    body = await read_body(request, ActivityIn)
    fields = ActivityFields(body.name, body.description, body.colour, body.archived)
    activity = await svc.timetracking.create_activity(principal.user_id, fields)
    location = f"/api/activities/{activity.id}"
    return object_response(
        request, activity_json(activity), activity.version, status=201, location=location
    )


async def get_activity(request: Request, principal: Principal) -> Response:
    svc = services(request)
    activity = await svc.timetracking.activity(principal.user_id, object_id(request))
    return object_response(request, activity_json(activity), activity.version)


async def replace_activity(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    body = await read_body(request, ActivityIn)
    fields = ActivityFields(body.name, body.description, body.colour, body.archived)
    activity = await svc.timetracking.replace_activity(
        principal.user_id, object_id(request), fields, if_match_versions(request)
    )
    return object_response(request, activity_json(activity), activity.version)


async def patch_activity(request: Request, principal: Principal) -> Response:
    svc = services(request)
    require_json(request)  # before the write: a 406 must not follow a change
    body = await read_body(request, ActivityPatch)
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "description", "archived"):
        if required in changes and changes[required] is None:
            raise field_errors({required: "may not be null"})
    activity = await svc.timetracking.patch_activity(
        principal.user_id, object_id(request), changes, if_match_versions(request)
    )
    return object_response(request, activity_json(activity), activity.version)


async def delete_activity(request: Request, principal: Principal) -> Response:
    svc = services(request)
    # A boolean as documented: `cascade=ture` is a 400, not a quiet false.
    cascade = read_query(request, DeleteActivityQuery).cascade
    await svc.timetracking.delete_activity(
        principal.user_id,
        object_id(request),
        cascade=cascade,
        if_versions=if_match_versions(request),
    )
    return Response(status_code=204)


_ITEM = "/api/activities/{id:int}"

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/activities",
        list_activities,
        "List your activities",
        "activities",
        response=ActivityList,
        query=ListQuery,
        csv=True,
        conditional=True,
        caller=USER,
        scope="activities:read",
    ),
    Operation(
        "POST",
        "/api/activities",
        create_activity,
        "Create an activity",
        "activities",
        status=201,
        body=ActivityIn,
        response=ActivityOut,
        errors=(400, 409, 413, 415),
        caller=USER,
        scope="activities:write",
    ),
    Operation(
        "GET",
        _ITEM,
        get_activity,
        "Read an activity",
        "activities",
        response=ActivityOut,
        conditional=True,
        errors=(404,),
        caller=USER,
        scope="activities:read",
    ),
    Operation(
        "PUT",
        _ITEM,
        replace_activity,
        "Replace an activity",
        "activities",
        body=ActivityIn,
        response=ActivityOut,
        conditional=True,
        errors=(400, 404, 409, 412, 413, 415),
        caller=USER,
        scope="activities:write",
    ),
    Operation(
        "PATCH",
        _ITEM,
        patch_activity,
        "Change some fields of an activity",
        "activities",
        body=ActivityPatch,
        response=ActivityOut,
        conditional=True,
        errors=(400, 404, 409, 412, 413, 415),
        caller=USER,
        scope="activities:write",
    ),
    Operation(
        "DELETE",
        _ITEM,
        delete_activity,
        "Delete an activity (409 if it has entries, unless cascade=true)",
        "activities",
        status=204,
        conditional=True,
        errors=(404, 409, 412),
        query=DeleteActivityQuery,
        caller=USER,
        scope="activities:write",
    ),
]
