"""TOTP (RFC 6238) in the browser: its section of /account/security (enrol, confirm with a
code, recovery codes, turn off) and its form on /login/second-factor."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.accounts.second_factor import CodeCheck, TotpService
from stint.accounts.service import AuthStatus
from stint.web.i18n import _
from stint.web.pages.common import PageContext, SecondFactorKind, read_form, to_login
from stint.web.pages.second_factor import render_second_factor
from stint.web.pages.security import SECURITY_PATH
from stint.web.second_step import SECOND_FACTOR_PATH, PendingSignIn

__all__ = ["TOTP_PATH", "totp_kind", "totp_routes", "totp_section"]

TOTP_PATH = f"{SECURITY_PATH}/totp"


def totp_kind(ctx: PageContext, totp: TotpService) -> SecondFactorKind:
    """TOTP among the kinds of second factor /login/second-factor offers."""

    async def prompt(request: Request, pending: PendingSignIn) -> Markup:
        return ctx.pages.fragment(request, "_totp_prompt.html", {"action": _SIGN_IN_PATH})

    return SecondFactorKind(name="totp", enrolled=totp.enrolled, prompt=prompt)


async def totp_section(ctx: PageContext, totp: TotpService, request: Request, user: User) -> Markup:
    """The TOTP section of /account/security: off, being set up, or on."""
    context = {
        "enrolled": await totp.enrolled(user.id),
        "enrolment": await totp.pending(user.id, user.username),
        "codes_left": await totp.recovery_codes_left(user.id),
        "base": TOTP_PATH,
    }
    return ctx.pages.fragment(request, "_totp_section.html", context)


_SIGN_IN_PATH = f"{SECOND_FACTOR_PATH}/totp"


def totp_routes(ctx: PageContext, totp: TotpService) -> list[BaseRoute]:
    def back(notice: str = "") -> Response:
        query = f"?notice={notice}" if notice else ""
        return RedirectResponse(f"{SECURITY_PATH}{query}#totp", status_code=303)

    def show_codes(request: Request, user: User, codes: list[str]) -> Response:
        context = {"user": user, "codes": codes}
        return ctx.pages.render(request, "recovery_codes.html", context)

    async def start(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next=SECURITY_PATH)
        if isinstance(checked, Response):
            return checked
        user = checked[2]
        if await totp.enrolled(user.id):
            return back()
        await totp.start(user.id, user.username)
        return back()

    async def qr_code(request: Request) -> Response:
        """The enrolment's otpauth URI as an SVG QR code, for the app's camera (an image of
        its own: the pages' CSP allows no data: URIs)."""
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            return Response(status_code=404)
        user = signed_in[1]
        enrolment = await totp.pending(user.id, user.username)
        if enrolment is None:
            return Response(status_code=404)
        buffer = io.BytesIO()
        segno.make(enrolment.uri, error="m").save(buffer, kind="svg", scale=5, border=2)
        headers = {"Cache-Control": "no-store"}  # the secret is in it
        return Response(buffer.getvalue(), media_type="image/svg+xml", headers=headers)

    async def confirm(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next=SECURITY_PATH)
        if isinstance(checked, Response):
            return checked
        form, _session, user = checked
        outcome = await totp.confirm(user.id, form.get("code", "")[:32])
        if outcome is CodeCheck.THROTTLED:
            return back("totp-throttled")
        if isinstance(outcome, CodeCheck):
            return back("totp-wrong-code")
        return show_codes(request, user, outcome)

    async def new_codes(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next=SECURITY_PATH)
        if isinstance(checked, Response):
            return checked
        user = checked[2]
        if not await totp.enrolled(user.id):
            return back()
        return show_codes(request, user, await totp.new_recovery_codes(user.id))

    async def disable(request: Request) -> Response:
        """Off with the password or a code: a session left open is not enough."""
        checked = await ctx.signed_in_post(request, login_next=SECURITY_PATH)
        if isinstance(checked, Response):
            return checked
        form, _session, user = checked
        code, password = form.get("code", "")[:32], form.get("password", "")
        proven = False
        if code:
            proven = (await totp.verify(user.id, code)).check is CodeCheck.OK
        elif password:
            ip = request.client.host if request.client else "unknown"
            result = await ctx.accounts.authenticate(user.username, password, ip)
            proven = result.status is AuthStatus.OK and getattr(result.user, "id", None) == user.id
        if not proven:
            return back("totp-not-disabled")
        await totp.disable(user.id)
        return back("totp-disabled")

    async def sign_in(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        pending = ctx.second_step.pending(request)
        if pending is None:
            return to_login(form.get("next") or "/account")
        verified = await totp.verify(pending.user_id, form.get("code", "")[:32])
        if verified.check is CodeCheck.THROTTLED:
            message = _("Too many wrong codes. Wait a few minutes and try again.")
            return await render_second_factor(ctx, request, pending, error=message, status=429)
        if verified.check is CodeCheck.WRONG:
            message = _("That code is not right, or was used already. Try the next one.")
            return await render_second_factor(ctx, request, pending, error=message, status=401)
        response = await ctx.second_step.complete(request, pending, verified.method)
        return response if response is not None else to_login(pending.next_url)

    return [
        Route(f"{TOTP_PATH}/start", start, methods=["POST"]),
        Route(f"{TOTP_PATH}/qr.svg", qr_code, methods=["GET"]),
        Route(f"{TOTP_PATH}/confirm", confirm, methods=["POST"]),
        Route(f"{TOTP_PATH}/recovery-codes", new_codes, methods=["POST"]),
        Route(f"{TOTP_PATH}/disable", disable, methods=["POST"]),
        Route(_SIGN_IN_PATH, sign_in, methods=["POST"]),
    ]
