"""/verify-email: the link of a verification mail. GET only shows a button (a mail scanner or
prefetch that follows the link changes nothing); the POST uses the link up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.accounts.email_links import LinkPurpose
from stint.accounts.profile import email_key
from stint.web.email.context import EmailContext
from stint.web.email.text import _
from stint.web.pages.common import read_form

__all__ = ["verify_routes"]


def verify_routes(email: EmailContext) -> list[BaseRoute]:
    ctx = email.pages

    async def confirm_page(request: Request) -> Response:
        token = request.query_params.get("token", "")
        link = await email.links.check(LinkPurpose.VERIFY_EMAIL, token)
        if link is None:
            return email.dead_link(request)
        context = {"token": token, "email": link.email, "user": None}
        return ctx.pages.render(request, "email/verify.html", context)

    async def verify(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        link = await email.links.use(LinkPurpose.VERIFY_EMAIL, form.get("token", ""))
        if link is None:
            return email.dead_link(request)
        found = await email.users.profile(link.user_id)
        current = found[1].get("email") if found is not None else None
        # Only the address the link was sent to: the profile may have changed since.
        if not isinstance(current, str) or email_key(current) != email_key(link.email):
            return email.message(
                request,
                _("This address is no longer on the account"),
                _("The account's email address changed after this link was sent."),
                409,
            )
        await email.claims.update(link.user_id, {"email_verified": True})
        return email.message(
            request, _("Email address verified"), _("Thank you: your address is verified.")
        )

    return [
        Route("/verify-email", confirm_page, methods=["GET"]),
        Route("/verify-email", verify, methods=["POST"]),
    ]
