"""The validated authorization request, and the error that knows where it may be sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stint.protocol.clients import Client
from stint.protocol.consent import Consent
from stint.protocol.errors import OAuthError
from stint.protocol.oidc.claims import ClaimsRequest

__all__ = ["AuthorizationRequest", "AuthorizationRequestError", "RedirectTarget"]


@dataclass(frozen=True, slots=True)
class RedirectTarget:
    """Where a response may go: a registered redirect URI, with the response mode and state."""

    uri: str
    mode: str  # "query", "fragment" or "form_post"
    state: str | None


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client: Client
    target: RedirectTarget
    redirect_uri_param: str | None  # as sent, for the token step's comparison (§4.1.3)
    response_type: str  # normalised: its space-separated values in a fixed order
    scopes: frozenset[str]
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None = None
    # OpenID Connect Core §3.1.2.1
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    claims: ClaimsRequest = field(default_factory=ClaimsRequest)
    id_token_hint: dict[str, Any] | None = None  # verified claims of the hint
    login_hint: str | None = None
    acr_values: tuple[str, ...] = ()
    ui_locales: tuple[str, ...] = ()
    # When the request was sent to sign in, from its verified marker (oidc/reauthentication.py):
    # a session that signed in since meets prompt=login and max_age.
    authenticated_after: datetime | None = None
    # Every parameter as checked, a request object's merged in: what to resume the request with
    # after sign-in or consent, without fetching or verifying the object again.
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_openid(self) -> bool:
        return "openid" in self.scopes

    @property
    def response_values(self) -> frozenset[str]:
        return frozenset(self.response_type.split())

    @property
    def asked_consent(self) -> Consent:
        """What approving this request agrees to: its scopes and the claims it names."""
        return Consent.asked(self.scopes, self.claims)


class AuthorizationRequestError(Exception):
    """An OAuthError raised while checking; ``target`` is set once it may be redirected."""

    def __init__(self, error: OAuthError, target: RedirectTarget | None) -> None:
        super().__init__(error.description)
        self.error = error
        self.target = target if error.redirectable else None
