"""/login and /logout."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.service import AuthStatus
from stint.web.i18n import _
from stint.web.pages.common import PageContext, read_form, safe_next

__all__ = ["login_routes"]


def login_routes(ctx: PageContext) -> list[BaseRoute]:
    async def login_page(request: Request) -> Response:
        next_url = safe_next(request.query_params.get("next"))
        signed_in = await ctx.signed_in(request)
        # reauth: an OpenID client asked for a fresh sign-in (prompt=login, max_age).
        if signed_in is not None and request.query_params.get("reauth") != "1":
            return RedirectResponse(next_url, status_code=303)
        username = request.query_params.get("username", "")[:64]  # login_hint
        context = {
            "next": next_url,
            "user": None,
            "username": username,
            "others": await ctx.other_sign_ins(next_url),
            "links": ctx.page_links,
            "extras": await ctx.extras(request, next_url),
        }
        return ctx.pages.render(request, "login.html", context)

    async def login(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        next_url = safe_next(form.get("next"))
        username = form.get("username", "")[:64]
        ip = request.client.host if request.client else "unknown"
        result = await ctx.accounts.authenticate(username, form.get("password", ""), ip)
        if result.status is AuthStatus.OK and result.user is not None:
            if await ctx.second_factors_of(result.user.id):  # no session before the second step
                return ctx.second_step.begin(result.user.id, next_url)
            response = RedirectResponse(next_url, status_code=303)
            await ctx.sessions.start(request, response, result.user.id)
            ctx.pages.csrf.forget_pre_session(response)  # forms now carry the session's field
            return response
        if result.status is AuthStatus.THROTTLED:
            message, status = _("Too many failed sign-ins. Wait a few minutes and try again."), 429
        else:
            message, status = _("Wrong username or password."), 401
        context = {
            "next": next_url,
            "error": message,
            "username": username,
            "user": None,
            "others": await ctx.other_sign_ins(next_url),
            "links": ctx.page_links,
            "extras": await ctx.extras(request, next_url),
        }
        return ctx.pages.render(request, "login.html", context, status)

    async def logout(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        response = RedirectResponse("/login", status_code=303)
        await ctx.sessions.end(request, response)
        return response

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
