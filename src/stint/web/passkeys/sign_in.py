"""Sign in with a passkey and no password (a discoverable credential, no username asked)."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.webauthn import CHALLENGE_SECONDS, PasskeyError, Purpose
from stint.protocol.oidc.acr import TWO_FACTOR_ACR, two_factor_amr
from stint.web.pages.common import read_form, safe_next
from stint.web.passkeys.context import PasskeyContext
from stint.web.passkeys.replies import failed, log

__all__ = ["sign_in_button", "sign_in_routes"]

OPTIONS = "/login/passkey/options"
VERIFY = "/login/passkey"


async def sign_in_button(passkeys: PasskeyContext, request: Request, next_url: str) -> Markup:
    """ "Sign in with a passkey", below the sign-in page's form."""
    return passkeys.pages.pages.fragment(
        request,
        "passkeys/_sign_in.html",
        {"options_url": OPTIONS, "verify_url": VERIFY, "next": next_url},
    )


def sign_in_routes(passkeys: PasskeyContext) -> list[BaseRoute]:
    ctx = passkeys.pages

    async def options(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return failed("expired", 403)
        # Each challenge is a row until it runs out: no address hands out rows without end.
        ip = request.client.host if request.client else "unknown"
        issued = await passkeys.counters.increment(f"passkey-challenges:{ip}", CHALLENGE_SECONDS)
        if issued > passkeys.challenges_per_address:
            return failed("throttled", 429)
        body = await passkeys.ceremonies.authentication_options(Purpose.SIGN_IN)
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def verify(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):  # no signing a browser in with another's passkey
            return failed("expired", 403)
        try:
            used = await passkeys.ceremonies.authenticate(
                Purpose.SIGN_IN, form.get("credential", "")
            )
        except PasskeyError as exc:
            log.info("passkey sign-in refused: %s", exc)
            return failed("refused")
        if await ctx.accounts.active_user(used.user_id) is None:
            return failed("refused")  # a disabled account signs in no way
        response = JSONResponse(
            {"redirect": safe_next(form.get("next"))}, headers={"Cache-Control": "no-store"}
        )
        # With user verification (required here) a passkey is two factors in itself: possession
        # of the key, and the PIN or biometric the authenticator checked (RFC 8176 §2 ``mfa``).
        amr = two_factor_amr(used.key_method)
        await ctx.sessions.start(request, response, used.user_id, amr=amr, acr=TWO_FACTOR_ACR)
        ctx.pages.csrf.forget_pre_session(response)  # forms now carry the session's field
        ctx.second_step.cancel(response)  # a half-done password sign-in is superseded
        return response

    return [
        Route(OPTIONS, options, methods=["POST"]),
        Route(VERIFY, verify, methods=["POST"]),
    ]
