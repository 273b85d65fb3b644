"""The pages a social sign-in that did not complete ends on, by what went wrong."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stint.accounts.linking import RefusalReason, SignInRefused
from stint.connectors.exceptions import AuthCanceled, AuthException, AuthUnreachable
from stint.web.i18n import DEFAULT, _, current, translated
from stint.web.social.context import SocialContext

__all__ = ["linking_refused", "refusal_message", "refusal_page"]

# Refusals about an account that already exists conflict with it; the others are the operator's.
_CONFLICTS = {RefusalReason.EMAIL_TAKEN, RefusalReason.IDENTITY_TAKEN}


def refusal_page(social: SocialContext, request: Request, exc: AuthException) -> Response:
    """The connector's message is written to be shown (stint.connectors.exceptions)."""
    if isinstance(exc, AuthCanceled):
        return social.refused(
            request, _("Sign-in cancelled"), _("You cancelled the sign-in at the provider."), 400
        )
    if isinstance(exc, AuthUnreachable):
        message = _("The provider could not be reached. Try again in a moment.")
        return social.refused(request, _("Provider unavailable"), message, 502)
    return social.refused(request, _("Sign-in failed"), translated(exc.message), 400)


def linking_refused(social: SocialContext, request: Request, exc: SignInRefused) -> Response:
    status = 409 if exc.reason in _CONFLICTS else 403
    return social.refused(request, _("Sign-in refused"), refusal_message(exc), status)


# The account rules' messages are English and name the provider; other languages say why by
# the refusal's reason.
_REFUSALS = {
    RefusalReason.EMAIL_TAKEN: _(
        "An account with this email already exists. Sign in with your password, then connect"
        " this provider from your account page."
    ),
    RefusalReason.IDENTITY_TAKEN: _(
        "This account at the provider is already connected to another account here."
    ),
    RefusalReason.NOT_ALLOWED: _("This account may not sign in here."),
    RefusalReason.SIGN_UP_CLOSED: _(
        "There is no account here connected to this account at the provider, and new accounts"
        " are not being created."
    ),
    RefusalReason.ACCOUNT_DISABLED: _("This account is disabled."),
    RefusalReason.LAST_SIGN_IN_METHOD: _(
        "This is your only way to sign in. Set a password or connect another provider first."
    ),
}


def refusal_message(exc: SignInRefused) -> str:
    """Why a sign-in was refused, in the page's language."""
    if current() == DEFAULT:
        return exc.message
    return str(_REFUSALS.get(exc.reason, exc.message))
