"""/password-reset: a link by mail to choose a new password. The answer is the same whether an
account matched or not, and as fast: the lookup and the mail run in the background."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.accounts.email_links import EmailLink, LinkPurpose
from stint.accounts.models import User
from stint.accounts.password_policy import password_problem
from stint.accounts.profile import email_key
from stint.accounts.service import PasswordChangeError
from stint.accounts.usernames import username_key
from stint.web.email.context import EmailContext
from stint.web.email.text import _
from stint.web.pages.common import read_form

__all__ = ["reset_routes"]


def reset_routes(email: EmailContext) -> list[BaseRoute]:
    ctx = email.pages

    def unavailable(request: Request) -> Response:
        return email.message(
            request,
            _("Password reset is not available"),
            _("This server cannot send mail. Ask its operator to reset your password."),
            503,
        )

    async def recipients(answer: str) -> list[tuple[User, str]]:
        """The accounts ``answer`` (a username, else an email address) names, with the address
        to write to: an account's own address, or any account whose verified address it is."""
        if "@" not in answer:
            user = await email.users.by_username_key(username_key(answer))
            users = [user] if user is not None else []
        else:
            users = [
                u for u, verified in await email.users.by_email_key(email_key(answer)) if verified
            ]
        found: list[tuple[User, str]] = []
        for user in users:
            # Always to the address the profile holds, never to what was typed.
            profile = await email.users.profile(user.id)
            address = profile[1].get("email") if profile is not None else None
            if isinstance(address, str):
                found.append((user, address))
        return [(user, address) for user, address in found if not user.disabled]

    async def send_links(answer: str) -> None:
        for user, address in await recipients(answer):
            if not await email.mail_allowed_for(user.id):
                continue  # per account: a flood of requests sends few mails
            token = await email.links.issue(LinkPurpose.RESET_PASSWORD, user.id, address)
            context = {
                "username": user.username,
                "link": f"{email.issuer}/password-reset/confirm?token={token}",
                "minutes": email.reset_minutes,
            }
            subject = _("Reset your Stint password")
            await email.outbox.send(
                email.outbox.render(address, subject, "password_reset.txt", context)
            )

    async def ask_page(request: Request) -> Response:
        if not email.outbox.available:
            return unavailable(request)
        return ctx.pages.render(request, "email/reset.html", {"user": None, "errors": {}})

    async def ask(request: Request) -> Response:
        if not email.outbox.available:
            return unavailable(request)
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        answer = form.get("account", "").strip()[:200]
        if not await email.mail_allowed_from(request):
            wait = _("Too many requests from your address. Wait an hour and try again.")
            context = {"user": None, "errors": {"account": wait}}
            return ctx.pages.render(request, "email/reset.html", context, 429)
        if answer:
            email.outbox.later(send_links(answer))
        return email.message(
            request,
            _("Check your mail"),
            _(
                "If an account matches what you entered, we sent a link to its email address. "
                "Follow it to choose a new password."
            ),
        )

    async def still_theirs(link: EmailLink) -> bool:
        """The link went to the address the (active) account still has: changing the address,
        or disabling the account, ends the reset links sent before."""
        if await ctx.accounts.active_user(link.user_id) is None:
            return False
        found = await email.users.profile(link.user_id)
        current = found[1].get("email") if found is not None else None
        return isinstance(current, str) and email_key(current) == email_key(link.email)

    async def usable(token: str) -> bool:
        link = await email.links.check(LinkPurpose.RESET_PASSWORD, token)
        return link is not None and await still_theirs(link)

    def render_form(
        request: Request, token: str, errors: dict[str, str], status: int = 200
    ) -> Response:
        context = {"user": None, "token": token, "errors": errors}
        return ctx.pages.render(request, "email/reset_confirm.html", context, status)

    async def confirm_page(request: Request) -> Response:
        token = request.query_params.get("token", "")
        if not await usable(token):
            return email.dead_link(request)
        return render_form(request, token, {})

    async def confirm(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        token = form.get("token", "")
        if not await usable(token):
            return email.dead_link(request)
        new = form.get("new_password", "")
        if (problem := password_problem(new)) is not None:
            return render_form(request, token, {"new_password": _(problem)}, 400)
        if new != form.get("confirm_password", ""):
            errors = {"confirm_password": _("does not match the new password")}
            return render_form(request, token, errors, 400)
        link = await email.links.use(LinkPurpose.RESET_PASSWORD, token)
        if link is None or not await still_theirs(link):  # changed in between
            return email.dead_link(request)
        try:
            await ctx.accounts.reset_password(link.user_id, new)
        except PasswordChangeError as exc:
            errors = {k: _(v) for k, v in exc.problems.items()}
            return render_form(request, token, errors, 400)
        # As a password change: every grant ended (the store), and every session too.
        await ctx.sessions.end_all(link.user_id)
        return email.message(
            request,
            _("Password changed"),
            _("Your password was changed, and every session was signed out. Sign in with it."),
            sign_in=True,
        )

    return [
        Route("/password-reset", ask_page, methods=["GET"]),
        Route("/password-reset", ask, methods=["POST"]),
        Route("/password-reset/confirm", confirm_page, methods=["GET"]),
        Route("/password-reset/confirm", confirm, methods=["POST"]),
    ]
