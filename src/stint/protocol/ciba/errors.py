"""The errors of the backchannel authentication endpoint that CIBA Core §13 adds."""

from __future__ import annotations

from stint.protocol.errors import OAuthError

__all__ = [
    "ExpiredLoginHintTokenError",
    "InvalidBindingMessageError",
    "InvalidUserCodeError",
    "MissingUserCodeError",
    "UnknownUserIdError",
]


class UnknownUserIdError(OAuthError):
    """§13: the hint names nobody (or nobody the client may ask for)."""

    error = "unknown_user_id"
    redirectable = False


class ExpiredLoginHintTokenError(OAuthError):
    error = "expired_login_hint_token"
    redirectable = False


class MissingUserCodeError(OAuthError):
    error = "missing_user_code"
    redirectable = False


class InvalidUserCodeError(OAuthError):
    error = "invalid_user_code"
    redirectable = False


class InvalidBindingMessageError(OAuthError):
    error = "invalid_binding_message"
    redirectable = False
