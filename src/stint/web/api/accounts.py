"""Accounts endpoints, at the paths of the Flask token-auth article."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stint.protocol.scopes import FIRST_PARTY_CLIENT_ID
from stint.web.api.context import services
from stint.web.api.http import object_id, read_body
from stint.web.api.operations import ANYONE, PASSWORD, USER, USER_OR_CLIENT, Operation
from stint.web.api.schemas import ClockOut, GreetingOut, TokenOut, UserCreate, UserOut
from stint.web.problems import ApiProblem
from stint.web.responses import JSONResponse
from stint.web.security import Principal, presented_token

__all__ = ["OPERATIONS"]

_NO_STORE = {"Cache-Control": "no-store"}


async def create_user(request: Request, _anyone: None) -> Response:
    body = await read_body(request, UserCreate)
    user = await services(request).accounts.register(body.username, body.password)
    return JSONResponse(
        {"id": user.id, "username": user.username},
        status_code=201,
        headers={"Location": f"/api/users/{user.id}"},
    )


async def get_user(request: Request, principal: Principal) -> Response:
    """The caller's own account: another id is a 404, so ids do not enumerate usernames."""
    if object_id(request, "user_id") != principal.user_id:
        raise ApiProblem(404, "Not Found", "no such user")
    return JSONResponse({"id": principal.user_id, "username": principal.username})


async def me(request: Request, principal: Principal) -> Response:
    return JSONResponse({"id": principal.user_id, "username": principal.username})


async def get_token(request: Request, principal: Principal) -> Response:
    """A short-lived first-party token. Only a password gets one: a token cannot renew itself."""
    issued = await services(request).first_party.issue(principal.user_id, principal.username)
    body = {"token": issued.value, "token_type": "Bearer", "expires_in": issued.expires_in}
    return JSONResponse(body, headers=_NO_STORE)


async def revoke_token(request: Request, principal: Principal) -> Response:
    """Revoke the token the request is made with; made with the password, every token that
    ``GET /api/token`` gave this user. Either way it stops at once, on every worker."""
    svc = services(request)
    token = presented_token(request)
    if principal.via_password or token is None:
        await svc.first_party.revoke_all(principal.user_id)
    else:
        await svc.first_party.revoke(token, principal.client_id or FIRST_PARTY_CLIENT_ID)
    return Response(status_code=204, headers=_NO_STORE)


async def resource(request: Request, caller: Principal | str) -> Response:
    # A client_credentials token of a client without an owner speaks for the client itself.
    name = caller if isinstance(caller, str) else caller.username
    return JSONResponse({"data": f"Hello, {name}!"})


async def clock(request: Request, _user: Principal) -> Response:
    now = datetime.now(UTC)
    return JSONResponse(
        {
            "year": now.year,
            "month": now.month,
            "day": now.day,
            "hour": now.hour,
            "minute": now.minute,
            "second": now.second,
        }
    )


OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/resource",
        resource,
        "A greeting for the caller",
        "accounts",
        caller=USER_OR_CLIENT,
        response=GreetingOut,
    ),
    Operation(
        "POST",
        "/api/users",
        create_user,
        "Register an account",
        "accounts",
        caller=ANYONE,
        status=201,
        body=UserCreate,
        response=UserOut,
        errors=(400, 409, 413, 415),
    ),
    Operation(
        "GET",
        "/api/users/{user_id:int}",
        get_user,
        "The caller's own account (another user's id is a 404)",
        "accounts",
        caller=USER,
        scope="profile",
        response=UserOut,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/api/me",
        me,
        "The signed-in user",
        "accounts",
        caller=USER,
        scope="profile",
        response=UserOut,
    ),
    Operation(
        "GET",
        "/api/token",
        get_token,
        "A short-lived access token (HTTP Basic only)",
        "accounts",
        caller=PASSWORD,
        response=TokenOut,
        errors=(429,),
    ),
    Operation(
        "DELETE",
        "/api/token",
        revoke_token,
        "Revoke the token used (with the password: every token from GET /api/token)",
        "accounts",
        caller=USER,
        status=204,
        errors=(429,),
    ),
    Operation(
        "GET",
        "/api/time",
        clock,
        "The server's time in UTC",
        "accounts",
        caller=USER,
        response=ClockOut,
    ),
]
