"""``POST /disconnect/<name>/`` from /account: unlink one upstream identity (the ``uid`` field)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stint.accounts.linking import SignInRefused
from stint.web.social.context import SocialContext

__all__ = ["disconnect"]


async def disconnect(social: SocialContext, request: Request) -> Response:
    checked = await social.pages.signed_in_post(request, login_next="/account")
    if isinstance(checked, Response):
        return checked
    form, _, user = checked
    # Only providers still offered are ways to sign in (an operator may have removed one).
    usable = {p.name for p in await social.providers.all()}
    try:
        await social.linker.disconnect(
            user.id, request.path_params["name"], form.get("uid", ""), usable=usable
        )
    except SignInRefused as exc:
        # Shown by /account's connections panel, by a fixed key: nothing else reaches the page.
        return RedirectResponse(
            f"/account?social=refused-{exc.reason.value}#connections", status_code=303
        )
    return RedirectResponse("/account?social=disconnected#connections", status_code=303)
