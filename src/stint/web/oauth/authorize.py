"""/o/authorize/: check the request, sign the user in, ask for consent, answer the client."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.accounts.sessions import Session
from stint.protocol.authorize import (
    AuthorizationRequest,
    AuthorizationRequestError,
    AuthorizationResponder,
    AuthorizePolicy,
    validate,
)
from stint.protocol.ports import ClientStore, ConsentStore
from stint.protocol.scopes import SCOPE_DESCRIPTIONS
from stint.protocol.tokens import Subject
from stint.web.csrf import CSRF_FIELD
from stint.web.pages.common import PageContext, login_redirect, read_form

__all__ = ["AuthorizeDependencies", "authorize_routes"]

log = logging.getLogger("stint.oauth")
_FORM_ONLY = {CSRF_FIELD, "decision"}


@dataclass(frozen=True, slots=True)
class AuthorizeDependencies:
    pages: PageContext
    clients: ClientStore
    consents: ConsentStore
    responder: AuthorizationResponder
    policy: AuthorizePolicy


def _params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Request parameters; a repeated one is noted for the checks to refuse (RFC 6749 §3.1)."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in _FORM_ONLY or value == "":
            continue
        if name in params:
            params["__repeated__"] = name
        params[name] = value
    return params


def authorize_routes(deps: AuthorizeDependencies) -> list[BaseRoute]:
    pages = deps.pages

    def error_page(request: Request, error: AuthorizationRequestError) -> Response:
        # Never redirect when the client or redirect URI is in doubt (RFC 6749 §4.1.2.1).
        context = {
            "title": "This sign-in link is not valid",
            "message": error.error.description or error.error.error,
            "error_code": error.error.error,
            "user": None,
        }
        return pages.pages.render(request, "error.html", context, 400)

    async def checked(request: Request, params: dict[str, str]) -> AuthorizationRequest | Response:
        try:
            return await validate(params, deps.clients, deps.policy)
        except AuthorizationRequestError as exc:
            if exc.target is None:
                return error_page(request, exc)
            url = deps.responder.error_for(exc.target, exc.error)
            return RedirectResponse(url, status_code=302)

    async def approve(
        auth: AuthorizationRequest, session: Session, user: User, status: int
    ) -> Response:
        url = await deps.responder.approve(auth, Subject(user.id, user.username), session.auth_time)
        return RedirectResponse(url, status_code=status)

    async def interact(request: Request, params: dict[str, str]) -> Response:
        checked_request = await checked(request, params)
        if isinstance(checked_request, Response):
            return checked_request
        auth = checked_request
        signed_in = await pages.signed_in(request)
        if signed_in is None:
            return login_redirect(request) if request.method == "GET" else _login_from_post(params)
        session, user = signed_in
        remembered = await deps.consents.scopes(user.id, auth.client.client_id)
        if auth.client.first_party or auth.scopes <= remembered:
            return await approve(auth, session, user, 302 if request.method == "GET" else 303)
        context = {
            "user": user,
            "client_name": auth.client.name,
            "scopes": [(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in sorted(auth.scopes)],
            "redirect_host": urlsplit(auth.target.uri).netloc or auth.target.uri,
            "params": sorted(params.items()),
        }
        return pages.pages.render(request, "consent.html", context)

    async def authorize_get(request: Request) -> Response:
        query = parse_qsl(request.url.query, keep_blank_values=True)
        return await interact(request, _params(query))

    async def authorize_post(request: Request) -> Response:
        form = await read_form(request)
        params = _params(list(form.items()))
        decision = form.get("decision")
        if decision is None:
            return await interact(request, params)  # RFC 6749 §3.1: the request sent by POST
        if not pages.csrf_ok(request, form):
            return pages.forbidden(request, "The form expired. Go back, reload and try again.")
        checked_request = await checked(request, params)
        if isinstance(checked_request, Response):
            return checked_request
        auth = checked_request
        signed_in = await pages.signed_in(request)
        if signed_in is None:
            return _login_from_post(params)
        session, user = signed_in
        if decision != "approve":
            return RedirectResponse(deps.responder.deny(auth), status_code=303)
        await deps.consents.add(user.id, auth.client.client_id, auth.scopes)
        return await approve(auth, session, user, 303)

    return [
        Route("/o/authorize/", authorize_get, methods=["GET"]),
        Route("/o/authorize/", authorize_post, methods=["POST"]),
    ]


def _login_from_post(params: dict[str, str]) -> Response:
    from urllib.parse import quote, urlencode

    target = "/o/authorize/?" + urlencode(params)
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
