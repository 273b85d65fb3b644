"""/account: the profile, the browser sessions, changing the password, and taking access back
from apps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.accounts.password_policy import MAX_LENGTH, MIN_LENGTH
from stint.accounts.service import PasswordChangeError
from stint.accounts.sessions import Session, SessionStore
from stint.protocol.oidc.ports import SessionClients
from stint.protocol.ports import ClientStore, UserGrants
from stint.protocol.scopes import FIRST_PARTY_CLIENT_ID
from stint.web.i18n import _, gettext
from stint.web.pages.common import PageContext, login_redirect

__all__ = ["AccountRecords", "account_routes"]

# Messages after a redirect, by a fixed key: nothing from the query string reaches the page.
NOTICES = {
    "password-changed": _("Your password was changed. Every other session was signed out."),
    "revoked": _("The app's access was taken back. It must ask you again to use your account."),
    "session-ended": _("The session was signed out, and the apps it signed in to were told."),
}


class AccountRecords(Protocol):
    """The records /account shows and changes, as the ports it needs."""

    @property
    def clients(self) -> ClientStore: ...
    @property
    def grants(self) -> UserGrants: ...
    @property
    def sessions(self) -> SessionStore: ...
    @property
    def session_clients(self) -> SessionClients: ...


def account_routes(ctx: PageContext, oauth: AccountRecords) -> list[BaseRoute]:

    async def authorized_apps(user: User) -> list[dict[str, Any]]:
        """One row per app, however many times it was authorized: all its live grants' scopes,
        and when it last got or used a refresh token (or was authorized, if later)."""
        apps: list[dict[str, Any]] = []
        for authorized in await oauth.grants.authorized_clients(user.id):
            if authorized.client_id == FIRST_PARTY_CLIENT_ID:
                continue
            client = await oauth.clients.get(authorized.client_id)
            apps.append(
                {
                    "client_id": authorized.client_id,
                    "name": client.name if client is not None else authorized.client_id,
                    "scopes": sorted(authorized.scopes),
                    "granted_at": authorized.granted_at,
                    "last_used": authorized.last_used_at,
                }
            )
        return apps

    async def sessions_of(user: User, current: Session) -> list[dict[str, Any]]:
        """The user's live sessions, this browser's first, with the apps each signed in to."""
        now = datetime.now(UTC)
        listed: list[dict[str, Any]] = []
        for session in await oauth.sessions.for_user(user.id):
            if session.expires_at <= now:
                continue
            names = []
            client_ids = await oauth.session_clients.clients(session.sid) if session.sid else []
            for client_id in client_ids:
                client = await oauth.clients.get(client_id)
                names.append(client.name if client is not None else client_id)
            listed.append(
                {
                    "sid": session.sid,
                    "created": session.created_at,
                    "auth_time": session.auth_time,
                    "user_agent": session.user_agent or _("Unknown browser"),
                    "current": session.id_hash == current.id_hash,
                    "apps": sorted(names),
                }
            )
        return sorted(listed, key=lambda s: not s["current"])

    async def render(
        request: Request,
        user: User,
        session: Session,
        *,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        context = {
            "user": user,
            "member_since": user.created_at,
            "apps": await authorized_apps(user),
            "sessions": await sessions_of(user, session),
            "errors": _password_problems(errors or {}),
            "notice": NOTICES.get(request.query_params.get("notice", "")),
            "panels": await ctx.panels(request, user),
        }
        return ctx.pages.render(request, "account.html", context, status)

    async def account_page(request: Request) -> Response:
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            return login_redirect(request)
        return await render(request, signed_in[1], signed_in[0])

    async def change_password(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/account")
        if isinstance(checked, Response):
            return checked
        form, session, user = checked
        new = form.get("new_password", "")
        if new != form.get("confirm_password", ""):
            errors = {"confirm_password": gettext("does not match the new password")}
            return await render(request, user, session, errors=errors, status=400)
        ip = request.client.host if request.client else "unknown"
        try:
            await ctx.accounts.change_password(user, form.get("current_password", ""), new, ip)
        except PasswordChangeError as exc:
            status = 429 if exc.throttled else 400
            return await render(request, user, session, errors=exc.problems, status=status)
        await ctx.sessions.end_others(session)
        return RedirectResponse("/account?notice=password-changed", status_code=303)

    async def revoke_app(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/account")
        if isinstance(checked, Response):
            return checked
        user = checked[2]
        client_id = request.path_params["client_id"]
        # Revoking the grants stops their access tokens (JWT and opaque) at the next check;
        # their refresh tokens go too, and forgetting the consent makes the app ask again.
        await oauth.grants.revoke_for(user.id, client_id)
        return RedirectResponse("/account?notice=revoked", status_code=303)

    async def end_session(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/account")
        if isinstance(checked, Response):
            return checked
        _form, session, user = checked
        sid = request.path_params["sid"]
        if sid == session.sid:  # this browser's own: the same as signing out
            response = RedirectResponse("/login", status_code=303)
            await ctx.sessions.end(request, response)
            return response
        # Only the signed-in user's own sessions; ending one tells its apps (back-channel logout).
        if not await ctx.sessions.end_sid(user.id, sid):
            context = {"title": _("No such session"), "message": _("It may have ended already.")}
            return ctx.pages.render(request, "error.html", {**context, "user": user}, 404)
        return RedirectResponse("/account?notice=session-ended", status_code=303)

    return [
        Route("/account", account_page, methods=["GET"]),
        Route("/account/password", change_password, methods=["POST"]),
        Route("/account/apps/{client_id}/revoke", revoke_app, methods=["POST"]),
        Route("/account/sessions/{sid}/end", end_session, methods=["POST"]),
    ]


def _password_problems(problems: dict[str, str]) -> dict[str, str]:
    """The account service's problems with a password (English), in the page's language."""
    known = {
        "is required to change a password": gettext("is required to change a password"),
        "is not your current password": gettext("is not your current password"),
        "is your current password": gettext("is your current password"),
        "too many failed attempts; wait a few minutes and try again": gettext(
            "too many failed attempts; wait a few minutes and try again"
        ),
        f"must be at least {MIN_LENGTH} characters long": gettext(
            "must be at least %(count)d characters long"
        )
        % {"count": MIN_LENGTH},
        f"must be at most {MAX_LENGTH} characters long": gettext(
            "must be at most %(count)d characters long"
        )
        % {"count": MAX_LENGTH},
        "is one of the most commonly used passwords; choose another": gettext(
            "is one of the most commonly used passwords; choose another"
        ),
    }
    return {name: known.get(text, text) for name, text in problems.items()}
