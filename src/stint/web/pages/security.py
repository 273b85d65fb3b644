"""/account/security: the ways a person proves who they are beyond the password. The page is a
list of sections that features fill in (``PageContext.security_sections``: TOTP, passkeys)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.web.i18n import _
from stint.web.pages.common import PageContext, login_redirect

__all__ = ["NOTICES", "SECURITY_PATH", "security_routes"]

SECURITY_PATH = "/account/security"


# Messages after a redirect, by a fixed key: nothing from the query string reaches the page.
NOTICES = {
    "totp-enabled": _("Two-factor sign-in is on. Keep your recovery codes somewhere safe."),
    "totp-disabled": _("Two-factor sign-in with an authenticator app is off."),
    "totp-not-disabled": _("It stays on: give your password or a current code to turn it off."),
    "totp-wrong-code": _("That code is not right. Check the app's clock and try the next code."),
    "totp-throttled": _("Too many wrong codes. Wait a few minutes and try again."),
}


def security_routes(ctx: PageContext) -> list[BaseRoute]:
    async def security_page(request: Request) -> Response:
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            return login_redirect(request)
        user = signed_in[1]
        context = {
            "user": user,
            "sections": await ctx.sections(request, user),
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        }
        return ctx.pages.render(request, "security.html", context)

    return [Route(SECURITY_PATH, security_page, methods=["GET"])]
