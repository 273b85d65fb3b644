"""The API's route table: each operation once, for both the router and the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["Operation", "starlette_routes"]

Endpoint = Callable[[Request], Awaitable[Response]]
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # Starlette form: /api/activities/{activity_id:int}
    endpoint: Endpoint
    summary: str
    tag: str
    status: int = 200
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    auth: bool = True
    csv: bool = False  # also offers text/csv
    conditional: bool = False  # honours If-Match (writes) / If-None-Match (reads)
    errors: tuple[int, ...] = ()
    description: str = ""
    extra_params: tuple[dict[str, object], ...] = field(default=())

    @property
    def openapi_path(self) -> str:
        return _CONVERTER.sub(r"{\1}", self.path)

    @property
    def path_params(self) -> list[str]:
        return [m.group(1) for m in _CONVERTER.finditer(self.path)]


def starlette_routes(operations: list[Operation]) -> list[Route]:
    return [
        Route(op.path, op.endpoint, methods=[op.method], name=f"{op.method} {op.path}")
        for op in operations
    ]
