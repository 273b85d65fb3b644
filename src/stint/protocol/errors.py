"""Protocol errors: one class per RFC error code (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 7009).

``description`` is safe to send to the client; ``detail`` is only logged. ``redirectable`` says
whether the authorization endpoint may send the error to the client's redirect URI: never for
errors about the client or the redirect URI itself (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "AccountSelectionRequiredError",
    "AuthorizationPendingError",
    "ConsentRequiredError",
    "DeniedByUserError",
    "ExpiredTokenError",
    "InsufficientScopeError",
    "InteractionRequiredError",
    "InvalidClientError",
    "InvalidClientMetadataError",
    "InvalidGrantError",
    "InvalidRedirectUriError",
    "InvalidRedirectUriMetadataError",
    "InvalidRequestError",
    "InvalidRequestObjectError",
    "InvalidRequestUriError",
    "InvalidScopeError",
    "InvalidTokenError",
    "LoginRequiredError",
    "OAuthError",
    "RegistrationNotSupportedError",
    "RequestNotSupportedError",
    "RequestUriNotSupportedError",
    "ServerError",
    "SlowDownError",
    "UnauthorizedClientError",
    "UnmetAuthenticationRequirementsError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
    "UnsupportedTokenTypeError",
]


class OAuthError(Exception):
    """An error the protocol defines."""

    error: str = "server_error"
    status_code: int = 400
    redirectable: bool = True

    def __init__(self, description: str = "", *, detail: str = "") -> None:
        super().__init__(description or self.error)
        self.description = description
        self.detail = detail


class InvalidRequestError(OAuthError):
    error = "invalid_request"


class InvalidClientError(OAuthError):
    """RFC 6749 §5.2: client authentication failed; answered with 401 and a challenge."""

    error = "invalid_client"
    status_code = 401
    redirectable = False


class InvalidRedirectUriError(OAuthError):
    """The redirect URI is missing or not registered: shown on a page, never redirected to."""

    error = "invalid_request"
    redirectable = False


class InvalidGrantError(OAuthError):
    error = "invalid_grant"


class UnauthorizedClientError(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantTypeError(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseTypeError(OAuthError):
    error = "unsupported_response_type"


class InvalidScopeError(OAuthError):
    error = "invalid_scope"


class AccessDeniedError(OAuthError):
    error = "access_denied"
    status_code = 403


class AuthorizationPendingError(OAuthError):
    """RFC 8628 §3.5 (and CIBA Core §11): the user has not yet approved or denied; poll again."""

    error = "authorization_pending"


class SlowDownError(OAuthError):
    """RFC 8628 §3.5: polling too fast; the interval is now 5 seconds longer."""

    error = "slow_down"


class ExpiredTokenError(OAuthError):
    """RFC 8628 §3.5 (and CIBA Core §11): the device code expired before it was used up."""

    error = "expired_token"


class UnsupportedTokenTypeError(OAuthError):
    """RFC 7009 §2.2.1."""

    error = "unsupported_token_type"


class ServerError(OAuthError):
    error = "server_error"
    status_code = 500


class InvalidTokenError(OAuthError):
    """RFC 6750 §3.1: expired, revoked, malformed or otherwise invalid access token."""

    error = "invalid_token"
    status_code = 401


class InsufficientScopeError(OAuthError):
    """RFC 6750 §3.1: the token lacks the scope the resource needs."""

    error = "insufficient_scope"
    status_code = 403

    def __init__(self, required: str, description: str = "") -> None:
        super().__init__(description or f"this request needs the scope {required!r}")
        self.required = required


# OpenID Connect Core §3.1.2.6: errors of the authentication request.
class InteractionRequiredError(OAuthError):
    error = "interaction_required"


class LoginRequiredError(OAuthError):
    error = "login_required"


class AccountSelectionRequiredError(OAuthError):
    error = "account_selection_required"


class ConsentRequiredError(OAuthError):
    error = "consent_required"


class UnmetAuthenticationRequirementsError(OAuthError):
    """OpenID Connect Unmet Authentication Requirements 1.0 §2: the authentication the client
    demanded (an essential ``acr``) cannot be made for this person."""

    error = "unmet_authentication_requirements"


class InvalidRequestUriError(OAuthError):
    error = "invalid_request_uri"


class InvalidRequestObjectError(OAuthError):
    error = "invalid_request_object"


class RequestNotSupportedError(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupportedError(OAuthError):
    error = "request_uri_not_supported"


class RegistrationNotSupportedError(OAuthError):
    error = "registration_not_supported"


# RFC 7591 §3.2.2: errors of client registration.
class InvalidClientMetadataError(OAuthError):
    error = "invalid_client_metadata"
    redirectable = False


class InvalidRedirectUriMetadataError(OAuthError):
    error = "invalid_redirect_uri"
    redirectable = False


class DeniedByUserError(OAuthError):
    """RFC 8628 §3.5, CIBA §11: the person denied the request; a token endpoint error (400)."""

    error = "access_denied"
