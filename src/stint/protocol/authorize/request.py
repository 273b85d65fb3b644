"""The validated authorization request, and the error that knows where it may be sent."""

from __future__ import annotations

from dataclasses import dataclass

from stint.protocol.clients import Client
from stint.protocol.errors import OAuthError

__all__ = ["AuthorizationRequest", "AuthorizationRequestError", "RedirectTarget"]


@dataclass(frozen=True, slots=True)
class RedirectTarget:
    """Where a response may go: a registered redirect URI, with the response mode and state."""

    uri: str
    mode: str  # "query" or "fragment"
    state: str | None


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client: Client
    target: RedirectTarget
    redirect_uri_param: str | None  # as sent, for the token step's comparison (§4.1.3)
    response_type: str
    scopes: frozenset[str]
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None = None


class AuthorizationRequestError(Exception):
    """An OAuthError raised while checking; ``target`` is set once it may be redirected."""

    def __init__(self, error: OAuthError, target: RedirectTarget | None) -> None:
        super().__init__(error.description)
        self.error = error
        self.target = target if error.redirectable else None
