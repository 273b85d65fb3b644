"""/login/second-factor: the second step of a sign-in (web.second_step), offering each kind of
second factor the person has set up (``PageContext.second_factors``: TOTP, passkeys)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.web.pages.common import PageContext, read_form, to_login
from stint.web.second_step import SECOND_FACTOR_PATH, PendingSignIn

__all__ = ["render_second_factor", "second_factor_routes"]


async def render_second_factor(
    ctx: PageContext,
    request: Request,
    pending: PendingSignIn,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The page asking ``pending``'s person for a second factor, with ``error`` if one failed."""
    kinds = await ctx.second_factors_of(pending.user_id)
    context = {
        "user": None,
        "error": error,
        "next": pending.next_url,
        "prompts": [await kind.prompt(request, pending) for kind in kinds],
    }
    return ctx.pages.render(request, "second_factor.html", context, status)


def second_factor_routes(ctx: PageContext) -> list[BaseRoute]:
    async def second_factor_page(request: Request) -> Response:
        pending = ctx.second_step.pending(request)
        if pending is None:  # run out, or never begun: the first step again
            return to_login(request.query_params.get("next") or "/account")
        return await render_second_factor(ctx, request, pending)

    async def cancel(request: Request) -> Response:
        form = await read_form(request)
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        response = RedirectResponse("/login", status_code=303)
        ctx.second_step.cancel(response)
        return response

    return [
        Route(SECOND_FACTOR_PATH, second_factor_page, methods=["GET"]),
        Route(f"{SECOND_FACTOR_PATH}/cancel", cancel, methods=["POST"]),
    ]
