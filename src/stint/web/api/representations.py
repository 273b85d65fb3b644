"""How domain objects appear on the wire: JSON objects, CSV rows, and list pages."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stint.timetracking.models import Activity, TimeEntry
from stint.web.api.http import etag_for, not_modified
from stint.web.negotiation import CSV, JSON, choose_media_type
from stint.web.pagination import next_link
from stint.web.problems import ApiProblem
from stint.web.responses import JSONResponse, json_body

__all__ = [
    "activity_json",
    "entry_json",
    "list_response",
    "object_response",
    "require_json",
]


def activity_json(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "name": activity.name,
        "description": activity.description,
        "colour": activity.colour,
        "archived": activity.archived,
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
    }


def entry_json(entry: TimeEntry, now: datetime) -> dict[str, Any]:
    end = entry.end or now
    return {
        "id": entry.id,
        "activity": entry.activity_id,
        "start": entry.start,
        "end": entry.end,
        "running": entry.end is None,
        "duration_seconds": max(0, int((end - entry.start).total_seconds())),
        "note": entry.note,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    }


def _not_acceptable(offered: Sequence[str]) -> ApiProblem:
    return ApiProblem(406, "Not Acceptable", f"this resource is available as {', '.join(offered)}")


def require_json(request: Request) -> None:
    if choose_media_type(request.headers.get("accept"), (JSON,)) is None:
        raise _not_acceptable((JSON,))


def object_response(
    request: Request,
    body: dict[str, Any],
    version: int,
    *,
    status: int = 200,
    location: str | None = None,
) -> Response:
    """One object, with its ETag; a 304 when the client's copy is current."""
    require_json(request)
    etag = etag_for(version)
    headers = {"ETag": etag}
    if location:
        headers["Location"] = location
    # If-None-Match answers 304 to reads only: a write's response must never claim no change.
    if status == 200 and request.method in ("GET", "HEAD") and not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def list_response(
    request: Request,
    rows: list[dict[str, Any]],
    next_cursor: str | None,
    csv_columns: Sequence[tuple[str, Callable[[dict[str, Any]], object]]],
    csv_name: str,
) -> Response:
    """A page as JSON (``items`` and ``next``) or CSV, with a ``Link: rel=next`` header."""
    media_type = choose_media_type(request.headers.get("accept"), (JSON, CSV))
    if media_type is None:
        raise _not_acceptable((JSON, CSV))
    headers = {"Vary": "Accept"}
    next_url = next_link(request.url, next_cursor) if next_cursor else None
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next"'
    if media_type == CSV:
        headers["Content-Disposition"] = f'attachment; filename="{csv_name}.csv"'
        return Response(
            _csv(rows, csv_columns), media_type="text/csv; charset=utf-8", headers=headers
        )
    content = json_body({"items": rows, "next": next_url})
    etag = f'W/"{hashlib.blake2b(content, digest_size=12).hexdigest()}"'
    headers["ETag"] = etag
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=JSON, headers=headers)


def _csv(
    rows: list[dict[str, Any]],
    columns: Sequence[tuple[str, Callable[[dict[str, Any]], object]]],
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 §2: CRLF line breaks
    writer.writerow([name for name, _ in columns])
    for row in rows:
        writer.writerow([_csv_cell(value(row)) for _, value in columns])
    return out.getvalue()


def _csv_cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # keep spreadsheets from running user text as a formula (CSV injection)
    return "" if value is None else value
