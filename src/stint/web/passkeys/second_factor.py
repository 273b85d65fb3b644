"""A passkey as the second factor after a password, on /login/second-factor ("Use a passkey")."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.webauthn import PasskeyError, Purpose
from stint.web.pages.common import SecondFactorKind, read_form
from stint.web.passkeys.context import PasskeyContext
from stint.web.passkeys.replies import failed, log
from stint.web.second_step import SECOND_FACTOR_PATH, PendingSignIn

__all__ = ["passkey_second_factor", "second_factor_routes"]

OPTIONS = f"{SECOND_FACTOR_PATH}/passkey/options"
VERIFY = f"{SECOND_FACTOR_PATH}/passkey"


def passkey_second_factor(passkeys: PasskeyContext) -> SecondFactorKind:
    async def enrolled(user_id: int) -> bool:
        return bool(await passkeys.ceremonies.passkeys.for_user(user_id))

    async def prompt(request: Request, pending: PendingSignIn) -> Markup:
        return passkeys.pages.pages.fragment(
            request, "passkeys/_second_factor.html", {"options_url": OPTIONS, "verify_url": VERIFY}
        )

    return SecondFactorKind(name="passkey", enrolled=enrolled, prompt=prompt)


def second_factor_routes(passkeys: PasskeyContext) -> list[BaseRoute]:
    ctx = passkeys.pages

    async def options(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return failed("expired", 403)
        pending = ctx.second_step.pending(request)
        if pending is None:
            return failed("expired", 403)
        # allowCredentials: the pending account's passkeys, and the challenge bound to it.
        body = await passkeys.ceremonies.authentication_options(
            Purpose.SECOND_FACTOR, pending.user_id
        )
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def verify(request: Request) -> Response:
        form = await read_form(request)
        pending = ctx.second_step.pending(request)
        if not ctx.csrf_ok(request, form) or pending is None:
            return failed("expired", 403)
        try:
            used = await passkeys.ceremonies.authenticate(
                Purpose.SECOND_FACTOR, form.get("credential", ""), pending.user_id
            )
        except PasskeyError as exc:
            log.info("passkey second factor refused for user %s: %s", pending.user_id, exc)
            return failed("refused")
        done = await ctx.second_step.complete(request, pending, used.key_method)
        if done is None:
            return failed("expired", 403)
        return redirect_as_json(done)

    return [
        Route(OPTIONS, options, methods=["POST"]),
        Route(VERIFY, verify, methods=["POST"]),
    ]


def redirect_as_json(redirect: Response) -> Response:
    """A redirect, as the JSON passkeys.js follows (a fetch cannot read a redirect's Location),
    with its cookies."""
    answer = JSONResponse(
        {"redirect": redirect.headers["location"]}, headers={"Cache-Control": "no-store"}
    )
    answer.raw_headers.extend((k, v) for k, v in redirect.raw_headers if k == b"set-cookie")
    return answer
