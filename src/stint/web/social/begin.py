"""``/login/<name>/``: send the browser to the provider, remembering where it should come back to.

GET signs in (the sign-in page's "Continue with" links carry ``next``); POST, from /account with
the CSRF field while signed in, connects the provider to the signed-in account.
"""

from __future__ import annotations

import logging
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stint.connectors.config import ProviderConfig
from stint.connectors.exceptions import AuthException
from stint.connectors.ports import PendingSignIn, SignInPurpose
from stint.web.i18n import _
from stint.web.pages.common import safe_next
from stint.web.social.context import BackendUnavailable, SocialContext
from stint.web.social.outcomes import refusal_page

__all__ = ["begin_connect", "begin_sign_in", "unavailable_provider", "unknown_provider"]

log = logging.getLogger("stint.social")


def unknown_provider(social: SocialContext, request: Request) -> Response:
    return social.refused(
        request,
        _("No such sign-in provider"),
        _("This Stint does not offer that provider (it may have been removed)."),
        404,
    )


def unavailable_provider(social: SocialContext, request: Request) -> Response:
    return social.refused(
        request,
        _("Sign-in provider unavailable"),
        _(
            "This provider cannot be used on this server at the moment (the operator's log says"
            " why)."
        ),
        503,
    )


async def begin_sign_in(social: SocialContext, request: Request) -> Response:
    provider = await social.providers.get(request.path_params["name"])
    if provider is None:
        return unknown_provider(social, request)
    next_url = safe_next(request.query_params.get("next"))
    return await _redirect(social, request, provider, "login", next_url, None)


async def begin_connect(social: SocialContext, request: Request) -> Response:
    checked = await social.pages.signed_in_post(request, login_next="/account")
    if isinstance(checked, Response):
        return checked
    _, _, user = checked
    provider = await social.providers.get(request.path_params["name"])
    if provider is None:
        return unknown_provider(social, request)
    return await _redirect(social, request, provider, "connect", "/account", user.id)


async def _redirect(
    social: SocialContext,
    request: Request,
    provider: ProviderConfig,
    purpose: SignInPurpose,
    next_url: str,
    user_id: int | None,
) -> Response:
    state = secrets.token_urlsafe(32)
    try:
        backend = social.backend(provider, state=state)
    except BackendUnavailable:
        return unavailable_provider(social, request)
    try:
        url = await backend.auth_url()
    except AuthException as exc:  # discovery or a request token failed: nothing was stored
        log.info("sign-in with %s did not start: %s", provider.name, type(exc).__name__)
        return refusal_page(social, request, exc)
    pending = PendingSignIn(
        provider=provider.name,
        purpose=purpose,
        session=dict(backend.strategy.session),
        next_url=next_url,
        user_id=user_id,
    )
    # Kept by the state's hash, the session sealed (stint.storage.upstream_sign_in_store).
    await social.pending.put(state, pending, social.sign_in_seconds)
    response = RedirectResponse(url, status_code=303)
    social.bind_state(response, state)
    return response
