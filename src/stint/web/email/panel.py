"""/account's email panel: the address, whether it is verified, changing it, and sending the
verification link again."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.accounts.profile import ProfileError
from stint.web.email.context import EmailContext
from stint.web.email.text import _

__all__ = ["email_panel", "panel_routes"]


def _notices() -> dict[str, str]:
    # By a fixed key: nothing from the query string reaches the page.
    return {
        "welcome": _("Welcome to Stint: your account is ready."),
        "welcome-verify": _("Welcome to Stint. We sent you a link to verify your email address."),
        "sent": _("We sent a verification link to your email address."),
        "changed": _("Your email address was changed."),
        "throttled": _("Too many mails were sent. Wait an hour and try again."),
        "invalid": _("That is not an email address."),
        "no-mail": _("This server cannot send mail: ask its operator to verify your address."),
    }


async def email_panel(email: EmailContext, request: Request, user: User) -> Markup:
    found = await email.users.profile(user.id)
    profile = found[1] if found is not None else {}
    context = {
        "address": profile.get("email", ""),
        "verified": profile.get("email_verified") is True,
        "notice": _notices().get(request.query_params.get("email", "")),
        "mail_available": email.outbox.available,
    }
    return email.pages.pages.fragment(request, "email/panel.html", context)


def panel_routes(email: EmailContext) -> list[BaseRoute]:
    ctx = email.pages

    async def send(request: Request, user: User, address: str) -> str:
        if not email.outbox.available:
            return "no-mail"
        if not await email.mail_allowed_for(user.id) or not await email.mail_allowed_from(request):
            return "throttled"
        email.outbox.later(email.send_verification(user.id, user.username, address))
        return "sent"

    async def change(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/account")
        if isinstance(checked, Response):
            return checked
        form, _session, user = checked
        address = form.get("email", "").strip()[:200]
        found = await email.users.profile(user.id)
        before = found[1].get("email", "") if found is not None else ""
        try:
            # A changed address is no longer verified (AccountClaims.update).
            await email.claims.update(user.id, {"email": address})
        except ProfileError:
            return RedirectResponse("/account?email=invalid", status_code=303)
        notice = "changed"
        if address and address != before:
            notice = await send(request, user, address)
        return RedirectResponse(f"/account?email={notice}", status_code=303)

    async def resend(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/account")
        if isinstance(checked, Response):
            return checked
        user = checked[2]
        found = await email.users.profile(user.id)
        profile = found[1] if found is not None else {}
        address = profile.get("email")
        if not isinstance(address, str) or profile.get("email_verified") is True:
            return RedirectResponse("/account", status_code=303)
        notice = await send(request, user, address)
        return RedirectResponse(f"/account?email={notice}", status_code=303)

    return [
        Route("/account/email", change, methods=["POST"]),
        Route("/account/email/verify", resend, methods=["POST"]),
    ]
