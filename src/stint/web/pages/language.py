"""The language picker: a signed-in person's choice, saved as their profile's ``locale`` claim."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.claims import AccountClaims
from stint.web.i18n import LANGUAGES, SavedLanguage
from stint.web.pages.common import PageContext, safe_next
from stint.web.sessions import SessionManager

__all__ = ["language_routes", "saved_language"]

_BY_TAG = {language.tag: language for language in LANGUAGES}


def saved_language(sessions: SessionManager, claims: AccountClaims) -> SavedLanguage:
    """The saved choice of whoever is signed in on a request (OIDC Core §5.1 ``locale``)."""

    async def saved(request: Request) -> str | None:
        session = await sessions.current(request)
        if session is None:
            return None
        locale = (await claims.claims(session.user_id)).get("locale")
        return locale if isinstance(locale, str) else None

    return saved


def language_routes(ctx: PageContext, claims: AccountClaims) -> list[BaseRoute]:
    async def choose(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/account")
        if isinstance(checked, Response):
            return checked
        form, _session, user = checked
        language = _BY_TAG.get(form.get("language", ""))
        if language is not None:
            await claims.update(user.id, {"locale": language.tag})
        return RedirectResponse(safe_next(form.get("next")), status_code=303)

    return [Route("/account/language", choose, methods=["POST"])]
