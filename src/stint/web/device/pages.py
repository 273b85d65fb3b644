"""/device (RFC 8628 §3.3): a signed-in person enters the code their device shows, sees which app
asks for what, and allows or denies it.

The code arrives typed, or filled in from ``verification_uri_complete`` (§3.3.1); either way
nothing is allowed without the person confirming, on a page that shows the code again (§5.4:
a link with a code in it may come from someone else). The rules of /o/authorize/ apply to the
approval as they are: remembered consent, the client's ``default_max_age``, the ``acr`` stated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.accounts.sessions import Session
from stint.protocol.authorize.request import AuthorizationRequest, RedirectTarget
from stint.protocol.device.user_code import display, normalise
from stint.protocol.device.verification import DeviceVerification, PendingDevice
from stint.protocol.errors import OAuthError
from stint.protocol.oidc.acr import stated_acr
from stint.protocol.oidc.interaction import Step, next_step
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.ports import ConsentStore
from stint.protocol.tokens import Subject
from stint.web.device.throttle import UserCodeThrottle
from stint.web.i18n import _
from stint.web.oauth.consent import consent_context, session_authentication
from stint.web.pages.common import PageContext, login_redirect, read_form, to_login

__all__ = ["DEVICE_PATH", "DevicePages", "device_routes"]

DEVICE_PATH = "/device"
_MAX_TYPED = 32  # longer input is no code (stint.protocol.device.user_code)
_NOT_VALID = _(
    "That code is not valid, or it expired or was used already. Check the code your device "
    "shows now, or start again on the device."
)


@dataclass(frozen=True, slots=True)
class DevicePages:
    pages: PageContext
    verification: DeviceVerification
    consents: ConsentStore
    subjects: SubjectIdentifiers
    throttle: UserCodeThrottle


def device_routes(deps: DevicePages) -> list[BaseRoute]:
    pages = deps.pages

    def entry_page(
        request: Request, user: User, user_code: str, error: str = "", status: int = 200
    ) -> Response:
        context = {"user": user, "user_code": user_code, "error": error}
        return pages.pages.render(request, "device.html", context, status)

    def too_many(request: Request, user: User) -> Response:
        context = {
            "title": _("Too many codes tried"),
            "message": _("Too many codes were tried from here. Wait a few minutes and try again."),
            "user": user,
        }
        response = pages.pages.render(request, "error.html", context, 429)
        response.headers["retry-after"] = str(deps.throttle.window_seconds)
        return response

    def back_here(user_code: str) -> str:
        return f"{DEVICE_PATH}?{urlencode({'user_code': user_code})}" if user_code else DEVICE_PATH

    async def pending_for(request: Request, user: User, user_code: str) -> PendingDevice | Response:
        """The request ``user_code`` names, counted by the throttle; else the page to answer."""
        address = request.client.host if request.client else "unknown"
        attempt = await deps.throttle.attempt(address, user_code)
        if attempt.refused:
            return too_many(request, user)
        pending = await deps.verification.lookup(user_code)
        if pending is None:
            return entry_page(request, user, user_code, _NOT_VALID, 400)
        await deps.throttle.found(attempt)
        return pending

    async def step_for(pending: PendingDevice, session: Session, user: User) -> Step:
        """What /o/authorize/ would do next with this request: sign in again (the client's
        default_max_age), ask for consent, or approve (consent remembered, or a first-party
        client). The page asks for a click in the last two cases alike (§5.4)."""
        try:
            return next_step(
                _as_authorization_request(pending),
                subject=deps.subjects.for_client(user.id, pending.client),
                auth_time=session.auth_time,
                consent=await deps.consents.granted(user.id, pending.client.client_id),
                now=datetime.now(UTC),
            )
        except OAuthError:  # only prompt=none raises, and a device request has no prompt
            return Step.LOGIN

    async def show(request: Request) -> Response:
        signed_in = await pages.signed_in(request)
        if signed_in is None:
            return login_redirect(request)  # and back, the code still in the query
        typed = request.query_params.get("user_code", "")[:_MAX_TYPED]
        return entry_page(request, signed_in[1], typed)

    async def submit(request: Request) -> Response:
        form = await read_form(request)
        typed = form.get("user_code", "")[:_MAX_TYPED]
        if not pages.csrf_ok(request, form):
            return pages.form_expired(request)
        signed_in = await pages.signed_in(request)
        if signed_in is None:
            return to_login(back_here(typed))
        session, user = signed_in
        found = await pending_for(request, user, typed)
        if isinstance(found, Response):
            return found
        pending = found
        shown = display(normalise(typed) or typed)
        step = await step_for(pending, session, user)
        if step is Step.LOGIN:
            # The client's default_max_age asks for a newer sign-in than this session's.
            return to_login(back_here(shown), reauth="1")
        decision = form.get("decision")
        if decision is None:
            context = {
                "user": user,
                **consent_context(pending.client, pending.scopes, pending.asked_consent.claims),
                "user_code": shown,
                "already_allowed": step is Step.APPROVE,
            }
            return pages.pages.render(request, "device_approve.html", context)
        return await decide(request, pending, session, user, approve=decision == "approve")

    async def decide(
        request: Request, pending: PendingDevice, session: Session, user: User, *, approve: bool
    ) -> Response:
        """Record Allow (as /o/authorize/ records an approval) or Deny; the page that says so."""
        if approve:
            acr = stated_acr(_as_authorization_request(pending), session.acr)
            authn = session_authentication(session, acr)
            subject = Subject(user.id, user.username)
            answered = await deps.verification.approve(
                pending, subject, authn, consent=pending.asked_consent
            )
        else:
            answered = await deps.verification.deny(pending, user.id)
        if not answered:  # answered in another tab, or expired, since the lookup
            return entry_page(request, user, "", _NOT_VALID, 409)
        context = {
            "user": user,
            "client_name": pending.client.name,
            "approved": approve,
            "title": _("Device connected") if approve else _("Request denied"),
        }
        return pages.pages.render(request, "device_done.html", context)

    return [
        Route(DEVICE_PATH, show, methods=["GET"]),
        Route(DEVICE_PATH, submit, methods=["POST"]),
    ]


def _as_authorization_request(pending: PendingDevice) -> AuthorizationRequest:
    """The device request as the authorization endpoint's rules read it: its client and scopes,
    no prompt, max_age, hint or claims (RFC 8628 §3.1 has none), and nowhere to redirect."""
    return AuthorizationRequest(
        client=pending.client,
        target=RedirectTarget(uri="", mode="query", state=None),
        redirect_uri_param=None,
        response_type="",
        scopes=pending.scopes,
        code_challenge=None,
        code_challenge_method=None,
    )
