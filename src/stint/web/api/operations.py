"""The API's route table: each operation once, for both the router and the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.convertors import IntegerConvertor
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


class _IdConvertor(IntegerConvertor):
    """Path ids: digits too many for any id become 0, which names nothing (a 404).

    Starlette's own ``int`` convertor calls ``int()`` on the whole digit string, and Python
    refuses strings over 4300 digits with ValueError: a 500 for a long path.
    """

    def convert(self, value: str) -> int:
        return int(value) if len(value) <= 18 else 0


_ID_CONVERTOR = _IdConvertor()


def starlette_routes(operations: list[Operation]) -> list[Route]:
    routes = []
    for op in operations:
        route = Route(op.path, op.endpoint, methods=[op.method], name=f"{op.method} {op.path}")
        for name, convertor in route.param_convertors.items():
            if isinstance(convertor, IntegerConvertor):
                route.param_convertors[name] = _ID_CONVERTOR
        routes.append(route)
    return routes
