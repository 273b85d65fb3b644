"""The authorization-code bookkeeping the fake providers share (GitHub, GitLab, the OpenID
provider and its flavours): codes that are single use and bound to a client, a redirect URI and a
PKCE challenge (RFC 6749 §4.1, RFC 7636 §4.6), and the access tokens they are exchanged for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, unquote_plus, urlencode

from starlette.responses import RedirectResponse

__all__ = [
    "CodeFlow",
    "Grant",
    "client_credentials",
    "code_grant",
    "parse_form",
    "redirect",
    "s256",
    "with_query",
]

Person = TypeVar("Person")


def s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def parse_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; a repeated name keeps its first value."""
    form: dict[str, str] = {}
    for name, value in parse_qsl(body.decode(), keep_blank_values=True):
        form.setdefault(name, value)
    return form


def client_credentials(authorization: str, form: dict[str, str]) -> tuple[str, str]:
    """client_secret_basic or client_secret_post (RFC 6749 §2.3.1: the Basic pair is
    form-encoded before base64)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() == "basic":
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` added to its query (RFC 6749 §4.1.2 keeps the URI's own query)."""
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    """The authorization endpoint's answer: back to ``uri`` with ``params`` (RFC 6749 §4.1.2)."""
    return RedirectResponse(with_query(uri, params), status_code=302)


@dataclass(frozen=True)
class Grant(Generic[Person]):
    """What the person approved, kept under its code until the client redeems it."""

    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    person: Person
    code_challenge: str = ""
    code_challenge_method: str = ""
    nonce: str | None = None  # OpenID Connect Core §3.1.2.1: goes into the code's ID token

    def verifier_matches(self, verifier: str | None) -> bool:
        """RFC 7636 §4.6: without a challenge no verifier is needed; with one it must match."""
        if not self.code_challenge:
            return not verifier
        if not verifier:
            return False
        computed = s256(verifier) if self.code_challenge_method == "S256" else verifier
        return hmac.compare_digest(computed, self.code_challenge)


def code_grant(
    params: dict[str, str],
    client_id: str,
    redirect_uri: str,
    person: Person,
    *,
    scope: tuple[str, ...] | None = None,
) -> Grant[Person]:
    """The grant an authorization request asks for (RFC 6749 §4.1.1), ``scope`` if the provider
    reads the parameter its own way; without a code_challenge_method the challenge is plain
    (RFC 7636 §4.3)."""
    challenge = params.get("code_challenge", "")
    return Grant(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=tuple(params.get("scope", "").split()) if scope is None else scope,
        person=person,
        code_challenge=challenge,
        code_challenge_method=params.get("code_challenge_method", "plain") if challenge else "",
        nonce=params.get("nonce"),
    )


@dataclass
class CodeFlow(Generic[Person]):
    """Codes and access tokens of one fake provider; everything it handed out is kept so a test
    can see what the client sent and received."""

    codes: dict[str, Grant[Person]] = field(default_factory=dict)
    tokens: dict[str, Grant[Person]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)

    def issue_code(self, grant: Grant[Person]) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = grant
        return code

    def redeem(self, code: str) -> Grant[Person] | None:
        """The grant under ``code``, once: RFC 6749 §4.1.2 says a code is single use."""
        return self.codes.pop(code, None)

    def issue_token(self, grant: Grant[Person], prefix: str = "") -> str:
        token = prefix + secrets.token_urlsafe(24)
        self.tokens[token] = grant
        return token

    def grant_for_token(self, token: str) -> Grant[Person] | None:
        return self.tokens.get(token)
