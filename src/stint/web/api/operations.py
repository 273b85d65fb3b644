"""The API's route table: each operation once, for the router and the OpenAPI document.

An operation declares who may call it and the scope a token needs; the route authenticates the
caller and checks the scope before the handler runs, and the document shows the same.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from starlette.convertors import IntegerConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stint.web.security import Authenticator, Principal

__all__ = [
    "ANYONE",
    "PASSWORD",
    "USER",
    "USER_OR_CLIENT",
    "Caller",
    "Operation",
    "starlette_routes",
]

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


@dataclass(frozen=True, slots=True)
class Caller(Generic[T]):
    """Who may call an operation: how the route finds them, and which schemes it documents."""

    name: str
    find: Callable[[Authenticator, Request], Awaitable[T]] | None  # None: no credentials
    schemes: tuple[str, ...] = ("basicAuth", "bearerAuth")
    scoped: bool = True  # the caller is a Principal, whose token's scopes can be checked


async def _password(authenticate: Authenticator, request: Request) -> Principal:
    return await authenticate(request, password_only=True)


ANYONE: Caller[None] = Caller("anyone", None, schemes=(), scoped=False)
# A user: by password (HTTP Basic), or by a token that acts for them. The hot paths call the
# Authenticator's methods themselves, without a function of ours around them.
USER: Caller[Principal] = Caller("user", Authenticator.__call__)
# A user by password only: a token cannot get itself a successor.
PASSWORD: Caller[Principal] = Caller("password", _password, schemes=("basicAuth",))
# A user, or a client by a token it holds for itself (client_credentials): the client's id.
USER_OR_CLIENT: Caller[Principal | str] = Caller(
    "user or client", Authenticator.client_or_user, scoped=False
)


@dataclass(frozen=True)
class Operation(Generic[T]):
    method: str
    path: str  # Starlette form: /api/activities/{activity_id:int}
    endpoint: Callable[[Request, T], Awaitable[Response]]
    summary: str
    tag: str
    caller: Caller[T]
    scope: str | None = None  # RFC 6750 §3.1: a token without it gets 403 insufficient_scope
    status: int = 200
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    csv: bool = False  # also offers text/csv
    conditional: bool = False  # honours If-Match (writes) / If-None-Match (reads)
    errors: tuple[int, ...] = ()
    description: str = ""
    extra_params: tuple[dict[str, object], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.scope is not None and not self.caller.scoped:
            raise ValueError(f"{self.method} {self.path}: a {self.caller.name} has no scopes")

    @property
    def secured(self) -> bool:
        return self.caller.find is not None

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


def _endpoint(op: Operation[Any], authenticate: Authenticator) -> Endpoint:
    """The operation's handler behind its authentication and scope check (RFC 6750 §3.1)."""
    handler, find, scope = op.endpoint, op.caller.find, op.scope
    if find is None:

        async def public(request: Request) -> Response:
            return await handler(request, None)

        return public

    async def secured(request: Request) -> Response:
        caller = await find(authenticate, request)
        if scope is not None:
            caller.require(scope)
        return await handler(request, caller)

    return secured


def starlette_routes(operations: list[Operation[Any]], authenticate: Authenticator) -> list[Route]:
    """The operations' routes, each authenticating its caller with ``authenticate``."""
    routes = []
    for op in operations:
        endpoint = _endpoint(op, authenticate)
        route = Route(op.path, endpoint, methods=[op.method], name=f"{op.method} {op.path}")
        for name, convertor in route.param_convertors.items():
            if isinstance(convertor, IntegerConvertor):
                route.param_convertors[name] = _ID_CONVERTOR
        routes.append(route)
    return routes
