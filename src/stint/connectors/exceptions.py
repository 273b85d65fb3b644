"""Why an upstream sign-in failed, with python-social-auth's names. The message is safe to show
the person signing in; it never carries a token or a secret."""

from __future__ import annotations

from typing import Any

from stint.protocol.texts import N_, Text

__all__ = [
    "AuthCanceled",
    "AuthException",
    "AuthFailed",
    "AuthMissingParameter",
    "AuthStateForbidden",
    "AuthStateMissing",
    "AuthTokenError",
    "AuthUnreachable",
]


class AuthException(Exception):
    """An upstream sign-in that did not complete."""

    def __init__(self, backend: Any, message: str = "") -> None:
        self.backend = backend
        # A Text a page shows in its reader's language; a plain str as it is.
        self.message: str = message or Text(self.default_message)
        super().__init__(self.message)

    default_message = N_("The sign-in with the provider failed.")


class AuthFailed(AuthException):
    """The provider refused, or answered something we cannot accept (bad ID token, no user id)."""


class AuthCanceled(AuthException):
    """The person declined at the provider (``error=access_denied``)."""

    default_message = N_("The sign-in was cancelled at the provider.")


class AuthMissingParameter(AuthException):
    """The provider's redirect lacked a parameter the protocol requires (``code``, ...)."""

    def __init__(self, backend: Any, parameter: str) -> None:
        self.parameter = parameter
        super().__init__(
            backend, Text(N_("The provider's answer has no %(parameter)s."), parameter=parameter)
        )


class AuthStateMissing(AuthException):
    default_message = N_("The sign-in has no state: start it again.")


class AuthStateForbidden(AuthException):
    default_message = N_("The sign-in's state does not match: start it again.")


class AuthTokenError(AuthException):
    """The token endpoint refused the code, or its answer was unusable."""

    default_message = N_("The provider did not give a usable token.")


class AuthUnreachable(AuthException):
    """The provider timed out, could not be reached, or answered with a server error."""

    default_message = N_("The provider could not be reached. Try again in a moment.")
