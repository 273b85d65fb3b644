"""/o/logout/: the end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0 §2, §3).

A signed-in browser is asked to confirm (§2: the OP SHOULD ask), so a link on any site cannot
sign the user out; the confirmation is a CSRF-protected form, the page's only sign-out action. A
request without an id_token_hint is sent to its post_logout_redirect_uri only after the person
confirms, signed in or not (§2). Ending the session tells the apps
that signed in with it (back-channel logout, wired to the session manager).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.protocol.errors import OAuthError
from stint.protocol.oidc.end_session import (
    END_SESSION_PARAMETERS,
    EndSessionRequest,
    EndSessionValidator,
)
from stint.web.i18n import _
from stint.web.pages.common import PageContext, read_form

__all__ = ["END_SESSION_PATH", "LogoutDependencies", "logout_routes"]

END_SESSION_PATH = "/o/logout/"


@dataclass(frozen=True, slots=True)
class LogoutDependencies:
    pages: PageContext
    validator: EndSessionValidator


def _params(source: Mapping[str, str]) -> dict[str, str]:
    return {name: source[name] for name in END_SESSION_PARAMETERS if source.get(name)}


def logout_routes(deps: LogoutDependencies) -> list[BaseRoute]:
    ctx = deps.pages

    def error_page(request: Request, error: OAuthError) -> Response:
        # Never redirected: the post_logout_redirect_uri is unverified when the request is bad.
        context = {
            "title": _("This sign-out link is not valid"),
            "message": _(
                "The app that sent you here asked to sign you out in a way Stint cannot accept."
                " Nothing was changed; to sign out, use your account page."
            ),
            "error_code": error.error,
            # The protocol's own words, for the app's developer (not translated).
            "detail": error.description,
            "user": None,
        }
        return ctx.pages.render(request, "error.html", context, 400)

    def signed_out(request: Request, checked: EndSessionRequest) -> Response:
        url = checked.redirect_url
        if url is not None:
            return RedirectResponse(url, status_code=303)
        client_name = checked.client.name if checked.client is not None else None
        context = {"user": None, "client_name": client_name}
        return ctx.pages.render(request, "signed_out.html", context)

    def confirm_redirect(
        request: Request, checked: EndSessionRequest, params: dict[str, str]
    ) -> Response:
        # Signed out already, but nothing proves the app sent this request: the person presses
        # a button (the CSRF-checked form below) before the browser goes to its URI (§2).
        context = {
            "user": None,
            "client_name": checked.client.name if checked.client is not None else None,
            "post_logout_redirect_uri": checked.post_logout_redirect_uri,
            "fields": sorted(params.items()),
        }
        return ctx.pages.render(request, "signed_out.html", context)

    async def end_session(request: Request) -> Response:
        if request.method == "POST":
            form = await read_form(request)
            if "decision" in form:
                return await decide(request, form)
            # §2 allows POST. The session cookie is SameSite=Lax, so an app's cross-site POST
            # arrives without it: a GET to ourselves, a top-level navigation, carries it.
            query = urlencode(_params(form))
            return RedirectResponse(f"{END_SESSION_PATH}?{query}", status_code=303)
        params = _params(request.query_params)
        try:
            checked = await deps.validator.validate(params)
        except OAuthError as exc:
            return error_page(request, exc)
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            if checked.redirect_needs_confirmation:
                return confirm_redirect(request, checked, params)
            return signed_out(request, checked)  # nothing to end: no need to ask
        context = {
            "user": signed_in[1],
            "client_name": checked.client.name if checked.client is not None else None,
            "fields": sorted(params.items()),
        }
        return ctx.pages.render(request, "sign_out.html", context)

    async def decide(request: Request, form: dict[str, str]) -> Response:
        if not ctx.csrf_ok(request, form):
            return ctx.form_expired(request)
        try:
            checked = await deps.validator.validate(_params(form))
        except OAuthError as exc:
            return error_page(request, exc)
        if form["decision"] != "sign_out":
            return RedirectResponse("/account", status_code=303)
        response = signed_out(request, checked)
        await ctx.sessions.end(request, response)
        return response

    return [Route(END_SESSION_PATH, end_session, methods=["GET", "POST"])]
