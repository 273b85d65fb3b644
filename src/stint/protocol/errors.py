"""Protocol errors: one class per RFC error code (RFC 6749 §5.2, RFC 6750 §3.1)."""

from __future__ import annotations

__all__ = ["InsufficientScopeError", "InvalidRequestError", "InvalidTokenError", "OAuthError"]


class OAuthError(Exception):
    """An error the protocol defines; ``description`` is safe to show, ``detail`` is only logged."""

    error: str = "server_error"
    status_code: int = 400

    def __init__(self, description: str = "", *, detail: str = "") -> None:
        super().__init__(description or self.error)
        self.description = description
        self.detail = detail


class InvalidRequestError(OAuthError):
    error = "invalid_request"


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
