"""/signup: create an account in the browser, under the same rules as POST /api/users."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.ports import UsernameTakenError
from stint.accounts.profile import ProfileError, checked_profile
from stint.accounts.service import RegistrationError
from stint.web.email.context import EmailContext, client_ip
from stint.web.email.text import _
from stint.web.pages.common import read_form

__all__ = ["signup_routes"]


def signup_routes(email: EmailContext) -> list[BaseRoute]:
    ctx = email.pages

    def closed(request: Request) -> Response:
        return email.message(
            request,
            _("Sign-up is closed"),
            _("This server does not take new accounts. Ask its operator for one."),
            404,
        )

    def render(
        request: Request, form: dict[str, str], errors: dict[str, str], status: int = 200
    ) -> Response:
        context = {
            "user": None,
            "username": form.get("username", "")[:64],
            "email": form.get("email", "")[:200],
            "errors": errors,
            "mail_available": email.outbox.available,
        }
        return ctx.pages.render(request, "email/signup.html", context, status)

    async def signup_page(request: Request) -> Response:
        if not email.open_signup:
            return closed(request)
        if await ctx.signed_in(request) is not None:
            return RedirectResponse("/account", status_code=303)
        return render(request, {}, {})

    async def signup(request: Request) -> Response:
        if not email.open_signup:
            return closed(request)
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        limits = email.limits
        key = f"signup:ip:{client_ip(request)}"
        if not await email.under_limit(key, limits.signups_per_ip, limits.signup_window_seconds):
            wait = _("Too many accounts were made from your address. Try again later.")
            return render(request, form, {"form": wait}, 429)
        errors: dict[str, str] = {}
        address = form.get("email", "").strip()
        profile = {}
        try:
            profile = checked_profile({"email": address}) if address else {}
        except ProfileError:
            errors["email"] = _("is not an email address")
        if form.get("password", "") != form.get("confirm_password", ""):
            errors["confirm_password"] = _("does not match the password")
        if errors:
            return render(request, form, errors, 400)
        try:
            user = await ctx.accounts.register(form.get("username", ""), form.get("password", ""))
        except RegistrationError as exc:
            return render(request, form, {k: _(v) for k, v in exc.problems.items()}, 400)
        except UsernameTakenError:
            return render(request, form, {"username": _("is taken: choose another")}, 409)
        notice = "welcome"
        if profile:
            await email.claims.update(user.id, profile)
            if email.outbox.available and await email.mail_allowed_for(user.id):
                email.outbox.later(email.send_verification(user.id, user.username, address))
                notice = "welcome-verify"
        response = RedirectResponse(f"/account?email={notice}", status_code=303)
        await ctx.sessions.start(request, response, user.id)
        ctx.pages.csrf.forget_pre_session(response)
        return response

    return [
        Route("/signup", signup_page, methods=["GET"]),
        Route("/signup", signup, methods=["POST"]),
    ]
