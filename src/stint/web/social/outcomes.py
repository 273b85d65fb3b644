"""The pages a social sign-in that did not complete ends on, by what went wrong."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stint.accounts.linking import RefusalReason, SignInRefused
from stint.connectors.exceptions import AuthCanceled, AuthException, AuthUnreachable
from stint.web.social.context import SocialContext

__all__ = ["linking_refused", "refusal_page"]

# Refusals about an account that already exists conflict with it; the others are the operator's.
_CONFLICTS = {RefusalReason.EMAIL_TAKEN, RefusalReason.IDENTITY_TAKEN}


def refusal_page(social: SocialContext, request: Request, exc: AuthException) -> Response:
    """The connector's message is written to be shown (stint.connectors.exceptions)."""
    if isinstance(exc, AuthCanceled):
        return social.refused(
            request, "Sign-in cancelled", "You cancelled the sign-in at the provider.", 400
        )
    if isinstance(exc, AuthUnreachable):
        message = "The provider could not be reached. Try again in a moment."
        return social.refused(request, "Provider unavailable", message, 502)
    return social.refused(request, "Sign-in failed", str(exc), 400)


def linking_refused(social: SocialContext, request: Request, exc: SignInRefused) -> Response:
    status = 409 if exc.reason in _CONFLICTS else 403
    return social.refused(request, "Sign-in refused", exc.message, status)
