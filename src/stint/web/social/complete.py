"""``/complete/<name>/``: the redirect URI registered at the provider. The provider's answer is
checked (state bound to this browser, single use), the backend completes the sign-in, the
account-linking pipeline finds or makes the account, and the browser goes on to ``next``."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stint.accounts.linking import SignInRefused, UpstreamSignIn
from stint.connectors.config import ProviderConfig
from stint.connectors.exceptions import AuthException
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.ports import PendingSignIn
from stint.web.i18n import _
from stint.web.pages.common import read_form, safe_next
from stint.web.social.begin import unavailable_provider, unknown_provider
from stint.web.social.context import BackendUnavailable, SocialContext
from stint.web.social.outcomes import linking_refused, refusal_page
from stint.web.social.policy import linking_policy

__all__ = ["complete"]

log = logging.getLogger("stint.social")


async def complete(social: SocialContext, request: Request) -> Response:
    params = dict(request.query_params)
    if request.method == "POST":  # response_mode=form_post
        params.update(await read_form(request))
    # redirect_state: OAuth 1.0a, and providers that drop ``state`` (python-social-auth's name).
    state = params.get("state") or params.get("redirect_state") or ""
    if not state:
        return _start_again(social, request, _("The provider's answer has no state."))
    if not social.state_bound(request, state):
        # RFC 6749 §10.12: a callback this browser did not start (or whose cookie expired).
        return _start_again(social, request, _("This sign-in was not started in this browser."))
    pending = await social.pending.take(state)
    if pending is None:
        return _start_again(social, request, _("This sign-in was already used or has expired."))
    response = await _finish(social, request, pending, params, state)
    social.forget_state(response)  # this browser's sign-in is over, used or refused
    return response


async def _finish(
    social: SocialContext,
    request: Request,
    pending: PendingSignIn,
    params: dict[str, str],
    state: str,
) -> Response:
    name = request.path_params["name"]
    if pending.provider != name:
        return _start_again(social, request, _("This sign-in was started at another provider."))
    provider = await social.providers.get(name)
    if provider is None:
        return unknown_provider(social, request)
    try:
        backend = social.backend(provider, state=state, data=params, session=dict(pending.session))
    except BackendUnavailable:
        return unavailable_provider(social, request)
    try:
        identity = await backend.auth_complete()
    except AuthException as exc:
        log.info("sign-in with %s failed: %s", name, type(exc).__name__)
        return refusal_page(social, request, exc)
    return await _link(social, request, provider, pending, identity)


async def _link(
    social: SocialContext,
    request: Request,
    provider: ProviderConfig,
    pending: PendingSignIn,
    identity: UpstreamIdentity,
) -> Response:
    connecting = None
    if pending.purpose == "connect":
        signed_in = await social.pages.signed_in(request)
        if signed_in is None or signed_in[1].id != pending.user_id:
            message = _("The account that asked to connect is no longer signed in here.")
            return social.refused(request, _("Connection refused"), message, 403)
        connecting = signed_in[1]
    sign_in = UpstreamSignIn(
        provider=provider.name,
        uid=identity.uid,
        details=dict(identity.details),
        email_verified=identity.email_verified,
        extra_data=dict(identity.extra_data),
        tokens=dict(identity.tokens) if provider.store_tokens else {},
    )
    policy = linking_policy(provider)
    try:
        attempt = await social.linker.sign_in(sign_in, policy, connecting_user=connecting)
    except SignInRefused as exc:
        log.info("sign-in with %s refused: %s", provider.name, exc.reason.value)
        return linking_refused(social, request, exc)
    if connecting is not None:
        return RedirectResponse("/account?social=connected#connections", status_code=303)
    if attempt.user is None:  # a pipeline that ended without an account: a broken custom step
        raise RuntimeError("the sign-in pipeline ended without an account")
    response = RedirectResponse(safe_next(pending.next_url), status_code=303)
    # Signed in by an upstream provider, not by a Stint password: "fed" (federated), the value
    # Microsoft Entra ID uses; RFC 8176 §2 registers none for federation.
    await social.pages.sessions.start(request, response, attempt.user.id, amr="fed")
    social.pages.pages.csrf.forget_pre_session(response)  # forms now carry the session's field
    return response


def _start_again(social: SocialContext, request: Request, why: str) -> Response:
    message = _("%(why)s Start the sign-in again.") % {"why": why}
    return social.refused(request, _("Sign-in failed"), message, 400)
