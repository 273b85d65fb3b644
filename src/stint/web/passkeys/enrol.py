"""/account/security's passkeys: add one (WebAuthn registration), list them, remove one."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.accounts.passkeys import PasskeyTakenError
from stint.accounts.webauthn import PasskeyError
from stint.web.passkeys.context import PasskeyContext
from stint.web.passkeys.replies import failed, log

__all__ = ["SECURITY_PAGE", "enrol_routes", "security_section"]

SECURITY_PAGE = "/account/security"
_NAME_LIMIT = 64


async def security_section(passkeys: PasskeyContext, request: Request, user: User) -> Markup:
    """The passkeys section of /account/security."""
    listed: list[dict[str, Any]] = [
        {
            "id": p.id,
            "name": p.name,
            "created_at": p.created_at,
            "last_used_at": p.last_used_at,
        }
        for p in await passkeys.ceremonies.passkeys.for_user(user.id)
    ]
    notice = request.query_params.get("passkey", "")
    return passkeys.pages.pages.fragment(
        request,
        "passkeys/_section.html",
        {"passkeys": listed, "notice": notice if notice in ("added", "removed") else ""},
    )


def enrol_routes(passkeys: PasskeyContext) -> list[BaseRoute]:
    ctx = passkeys.pages

    async def options(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next=SECURITY_PAGE)
        if isinstance(checked, Response):
            return checked
        _form, _session, user = checked
        body = await passkeys.ceremonies.registration_options(user.id, user.username)
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def add(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next=SECURITY_PAGE)
        if isinstance(checked, Response):
            return checked
        form, _session, user = checked
        name = " ".join(form.get("name", "").split())[:_NAME_LIMIT]
        if not name:
            return failed("name")
        try:
            await passkeys.ceremonies.register(user.id, name, form.get("credential", ""))
        except PasskeyTakenError:
            return failed("taken")
        except PasskeyError as exc:
            log.info("passkey registration refused for user %s: %s", user.id, exc)
            return failed("refused")
        return JSONResponse({"redirect": f"{SECURITY_PAGE}?passkey=added"})

    async def remove(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next=SECURITY_PAGE)
        if isinstance(checked, Response):
            return checked
        _form, _session, user = checked
        passkey_id = request.path_params["passkey_id"]
        await passkeys.ceremonies.passkeys.remove(user.id, passkey_id)
        return RedirectResponse(f"{SECURITY_PAGE}?passkey=removed", status_code=303)

    return [
        Route(f"{SECURITY_PAGE}/passkeys/options", options, methods=["POST"]),
        Route(f"{SECURITY_PAGE}/passkeys", add, methods=["POST"]),
        Route(f"{SECURITY_PAGE}/passkeys/{{passkey_id:int}}/remove", remove, methods=["POST"]),
    ]
