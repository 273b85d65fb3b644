"""/o/authorize/: check the request, sign the user in, ask for consent, answer the client."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

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
from stint.protocol.authorize.checks import CHECKS, Check, IdTokenHints, RequestObjectsPort
from stint.protocol.authorize.response import AuthorizationReply
from stint.protocol.consent import Consent
from stint.protocol.errors import OAuthError
from stint.protocol.oidc.acr import SecondFactorDemand, second_factor_demand, stated_acr
from stint.protocol.oidc.interaction import Step, next_step
from stint.protocol.oidc.reauthentication import MARKER_PARAM, ReauthenticationMarkers
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.ports import ClientStore, ConsentStore
from stint.protocol.tokens import Subject
from stint.web.csrf import CSRF_FIELD
from stint.web.i18n import _
from stint.web.oauth.consent import consent_context, session_authentication
from stint.web.pages.common import PageContext, read_form, to_login

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
    subjects: SubjectIdentifiers
    markers: ReauthenticationMarkers
    request_objects: RequestObjectsPort | None = None
    hints: IdTokenHints | None = None
    checks: Sequence[Check] = CHECKS  # the request's checks, in order


@dataclass(frozen=True, slots=True)
class _Sent:
    """The request's parameters, and the names it sent more than once (RFC 6749 §3.1)."""

    params: dict[str, str]
    repeated: frozenset[str] = frozenset()


def _sent(pairs: list[tuple[str, str]]) -> _Sent:
    params: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in pairs:
        if name in _FORM_ONLY or value == "":
            continue
        if name in params:
            repeated.add(name)
        params[name] = value
    return _Sent(params, frozenset(repeated))


def authorize_routes(deps: AuthorizeDependencies) -> list[BaseRoute]:
    pages = deps.pages

    def error_page(request: Request, error: AuthorizationRequestError) -> Response:
        # Never redirect when the client or redirect URI is in doubt (RFC 6749 §4.1.2.1).
        context = {
            "title": _("This sign-in link is not valid"),
            "message": _(
                "The app that sent you here asked for something Stint cannot do. Go back to the"
                " app and try again; if this keeps happening, tell its developer."
            ),
            "error_code": error.error.error,
            # The protocol's own words, for the app's developer (not translated).
            "detail": error.error.description,
            "user": None,
        }
        return pages.pages.render(request, "error.html", context, 400)

    def send(request: Request, reply: AuthorizationReply, status: int) -> Response:
        if reply.target.mode == "form_post":
            # OAuth 2.0 Form Post Response Mode §2: the browser posts the response itself.
            context = {"action": reply.target.uri, "fields": sorted(reply.params.items())}
            response = pages.pages.render(request, "form_post.html", context)
            response.headers["cache-control"] = "no-store"
            return response
        return RedirectResponse(reply.url, status_code=status)

    async def checked(request: Request, sent: _Sent) -> AuthorizationRequest | Response:
        try:
            return await validate(
                sent.params,
                deps.clients,
                deps.policy,
                request_objects=deps.request_objects,
                hints=deps.hints,
                markers=deps.markers,
                checks=deps.checks,
                repeated=sent.repeated,
            )
        except AuthorizationRequestError as exc:
            if exc.target is None:
                return error_page(request, exc)
            return send(request, deps.responder.error_for(exc.target, exc.error), 302)

    async def approve(
        request: Request,
        auth: AuthorizationRequest,
        session: Session,
        user: User,
        status: int,
        consent: Consent | None = None,
    ) -> Response:
        authn = session_authentication(session, stated_acr(auth, session.acr))
        subject = Subject(user.id, user.username)
        reply = await deps.responder.approve(auth, subject, authn, consent=consent)
        return send(request, reply, status)

    async def step_for(
        auth: AuthorizationRequest, session: Session | None, user: User | None, consent: Consent
    ) -> Step | OAuthError:
        able = False  # whether the user could add a second factor, asked only when needed
        if user is not None and second_factor_demand(auth) is not SecondFactorDemand.NONE:
            able = bool(await pages.second_factors_of(user.id))
        try:
            return next_step(
                auth,
                subject=deps.subjects.for_client(user.id, auth.client) if user else None,
                auth_time=session.auth_time if session else None,
                consent=consent,
                now=datetime.now(UTC),
                session_acr=session.acr if session else "",
                second_factor=able,
            )
        except OAuthError as exc:
            return exc

    def to_sign_in(auth: AuthorizationRequest, *, reauthenticate: bool) -> Response:
        """To the sign-in page, then back to the same request, as checked (a request object's
        values merged in, so the object is not fetched or verified twice) and with its
        demands (prompt=login, max_age): a new marker says when it was sent, so that only a
        sign-in from then on meets them (stint.protocol.oidc.reauthentication)."""
        following = {k: v for k, v in auth.params.items() if k != MARKER_PARAM}
        following[MARKER_PARAM] = deps.markers.issue(following)
        extra = {"reauth": "1"} if reauthenticate else {}
        if auth.login_hint:
            extra["username"] = auth.login_hint[:64]
        return to_login("/o/authorize/?" + urlencode(following), **extra)

    def step_up(auth: AuthorizationRequest, user: User) -> Response:
        """To the second step, then back to the same request: the session, raised to two
        factors, meets its ``acr`` (oidc.acr), so the browser comes back only once."""
        following = {k: v for k, v in auth.params.items() if k != MARKER_PARAM}
        return pages.second_step.begin(
            user.id, "/o/authorize/?" + urlencode(following), step_up=True
        )

    async def interact(request: Request, sent: _Sent) -> Response:
        checked_request = await checked(request, sent)
        if isinstance(checked_request, Response):
            return checked_request
        auth = checked_request
        signed_in = await pages.signed_in(request)
        session, user = signed_in if signed_in is not None else (None, None)
        consent = Consent()
        if user is not None:
            consent = await deps.consents.granted(user.id, auth.client.client_id)
        step = await step_for(auth, session, user, consent)
        if isinstance(step, OAuthError):  # prompt=none and the user would have to be asked
            return send(request, deps.responder.error_for(auth.target, step), 302)
        status = 302 if request.method == "GET" else 303
        if step is Step.LOGIN:
            return to_sign_in(auth, reauthenticate=user is not None)
        if step is Step.SECOND_FACTOR and user is not None:
            return step_up(auth, user)
        if step is Step.APPROVE and session is not None and user is not None:
            return await approve(request, auth, session, user, status)
        assert user is not None
        context = {
            "user": user,
            **consent_context(auth.client, auth.scopes, auth.asked_consent.claims),
            "redirect_host": urlsplit(auth.target.uri).netloc or auth.target.uri,
            "params": sorted(_without_prompt(dict(auth.params), {"consent"}).items()),
        }
        return pages.pages.render(request, "consent.html", context)

    async def authorize_get(request: Request) -> Response:
        query = parse_qsl(request.url.query, keep_blank_values=True)
        return await interact(request, _sent(query))

    async def authorize_post(request: Request) -> Response:
        form = await read_form(request)
        sent = _sent(list(form.items()))
        decision = form.get("decision")
        if decision is None:
            return await interact(request, sent)  # RFC 6749 §3.1: the request sent by POST
        if not pages.csrf_ok(request, form):
            return pages.form_expired(request)
        checked_request = await checked(request, sent)
        if isinstance(checked_request, Response):
            return checked_request
        auth = checked_request
        signed_in = await pages.signed_in(request)
        if signed_in is None:
            return to_sign_in(auth, reauthenticate=False)
        session, user = signed_in
        if decision != "approve":
            return send(request, deps.responder.deny(auth), 303)
        # An approval meets prompt=login, max_age and id_token_hint as the GET does.
        step = await step_for(auth, session, user, auth.asked_consent)
        if isinstance(step, OAuthError):
            return send(request, deps.responder.error_for(auth.target, step), 303)
        if step is Step.LOGIN:
            return to_sign_in(auth, reauthenticate=True)
        if step is Step.SECOND_FACTOR:
            return step_up(auth, user)
        return await approve(request, auth, session, user, 303, auth.asked_consent)

    return [
        Route("/o/authorize/", authorize_get, methods=["GET"]),
        Route("/o/authorize/", authorize_post, methods=["POST"]),
    ]


def _without_prompt(params: dict[str, str], values: set[str]) -> dict[str, str]:
    kept = [v for v in params.get("prompt", "").split() if v not in values]
    rest = {k: v for k, v in params.items() if k != "prompt"}
    return {**rest, "prompt": " ".join(kept)} if kept else rest
