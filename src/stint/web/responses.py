"""Fast JSON responses (orjson) and RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

__all__ = ["JSONResponse", "ProblemResponse", "json_body"]


def json_body(content: Any) -> bytes:
    return orjson.dumps(content)


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ProblemResponse(Response):
    """RFC 9457 §3: ``application/problem+json`` with type, title, status and detail."""

    media_type = "application/problem+json"

    def __init__(
        self,
        status: int,
        title: str,
        *,
        detail: str | None = None,
        type_: str = "about:blank",
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        body: dict[str, Any] = {"type": type_, "title": title, "status": status}
        if detail:
            body["detail"] = detail
        if extra:
            body.update(extra)
        super().__init__(orjson.dumps(body), status_code=status, headers=dict(headers or {}))
