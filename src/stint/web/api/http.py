"""Request reading shared by the API's endpoints: JSON bodies, queries, preconditions, ETags."""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from stint.web.problems import ApiProblem, field_errors

__all__ = [
    "MAX_ID",
    "etag_for",
    "if_match_versions",
    "not_modified",
    "object_id",
    "read_body",
    "read_query",
]

M = TypeVar("M", bound=BaseModel)


def _problems(exc: ValidationError, root: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        # The field the client named: deeper parts are pydantic's own, such as the member of a
        # union ("from.datetime", "from.date"), and name nothing the client sent.
        loc = str(error["loc"][0]) if error["loc"] else root
        problems.setdefault(loc, error["msg"])
    return problems


async def read_body(request: Request, model: type[M]) -> M:
    """The JSON body validated by ``model``: 415 for another type, 400 naming each bad field."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise ApiProblem(415, "Unsupported Media Type", "send the body as application/json")
    body = await request.body()
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise field_errors(_problems(exc, "body")) from None


def read_query(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise field_errors(_problems(exc, "query")) from None


# Ids are 32-bit integers on PostgreSQL; a larger one names nothing.
MAX_ID = 2**31 - 1


def object_id(request: Request, name: str = "id") -> int:
    """The object id in the path; out of range is simply not found."""
    value: int = request.path_params[name]
    if not 1 <= value <= MAX_ID:
        raise ApiProblem(404, "Not Found", "no such object")
    return value


_OUR_ETAG = re.compile(r'"v([0-9]{1,10})"', re.ASCII)


def etag_for(version: int) -> str:
    return f'"v{version}"'


def if_match_versions(request: Request) -> frozenset[int] | None:
    """The versions an If-Match header allows (RFC 9110 §13.1.1); None when any version does."""
    if request.headers.get("if-none-match", "").strip() == "*":
        # "Only if it does not exist" (RFC 9110 §13.1.2): the object a write names exists (or the
        # answer is 404), so the condition is false and no version may be replaced: 412.
        return frozenset()
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for tag in header.split(","):
        # Weak tags never match for If-Match: it uses the strong comparison (RFC 9110 §8.8.3.2).
        # Only tags of the form we send count; any other (a Unicode digit, a 4,000-digit number,
        # a version no row can reach) names no version, and the write gets 412.
        match = _OUR_ETAG.fullmatch(tag.strip())
        if match is not None and int(match[1]) <= MAX_ID:
            versions.add(int(match[1]))
    return frozenset(versions)


def not_modified(request: Request, etag: str) -> bool:
    """If-None-Match (RFC 9110 §13.1.2) uses the weak comparison: W/ prefixes are ignored."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))
