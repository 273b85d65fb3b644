"""The authorization response: a code (§4.1.2) or, for implicit clients, a token (§4.2.2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from stint.protocol.authorize.request import AuthorizationRequest, RedirectTarget
from stint.protocol.errors import OAuthError
from stint.protocol.ports import AuthorizationCode, AuthorizationCodeStore
from stint.protocol.secrets import new_secret
from stint.protocol.tokens import Subject, TokenFactory

__all__ = ["AuthorizationResponder", "redirect_url"]

CODE_TTL = timedelta(seconds=60)  # RFC 6749 §4.1.2: short-lived, at most ten minutes


def redirect_url(target: RedirectTarget, params: dict[str, str], issuer: str) -> str:
    """Add the response to the redirect URI, in its query or fragment, with state and iss."""
    values = dict(params)
    if target.state is not None:
        values["state"] = target.state  # §4.1.2: exactly as the client sent it
    values["iss"] = issuer  # RFC 9207 §2
    encoded = urlencode(values)
    if target.mode == "fragment":
        return f"{target.uri}#{encoded}"
    return f"{target.uri}{'&' if '?' in target.uri else '?'}{encoded}"


class AuthorizationResponder:
    def __init__(self, codes: AuthorizationCodeStore, tokens: TokenFactory, issuer: str) -> None:
        self._codes = codes
        self._tokens = tokens
        self._issuer = issuer

    async def approve(
        self, request: AuthorizationRequest, subject: Subject, auth_time: datetime
    ) -> str:
        """The URL to send the browser to after the user approved."""
        if subject.user_id is None:
            raise ValueError("only a signed-in user can approve")
        grant = await self._tokens.new_grant(request.client, subject, request.scopes)
        if request.response_type == "token":
            access, expires_in = await self._tokens.access_token(
                request.client, subject, request.scopes, grant.id
            )
            body = {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": str(expires_in),
                "scope": " ".join(sorted(request.scopes)),
            }
            return redirect_url(request.target, body, self._issuer)
        code = new_secret()
        now = self._tokens.now()
        await self._codes.add(
            AuthorizationCode(
                code_hash=self._tokens.hasher.hash(code),
                grant_id=grant.id,
                client_id=request.client.client_id,
                user_id=subject.user_id,
                redirect_uri=request.redirect_uri_param,
                scopes=request.scopes,
                code_challenge=request.code_challenge,
                code_challenge_method=request.code_challenge_method,
                auth_time=auth_time,
                expires_at=now + CODE_TTL,
                nonce=request.nonce,
            )
        )
        return redirect_url(request.target, {"code": code}, self._issuer)

    def deny(self, request: AuthorizationRequest) -> str:
        return self.error(request.target, "access_denied", "the user denied the request")

    def error(self, target: RedirectTarget, error: str, description: str) -> str:
        return redirect_url(
            target, {"error": error, "error_description": description}, self._issuer
        )

    def error_for(self, target: RedirectTarget, exc: OAuthError) -> str:
        return self.error(target, exc.error, exc.description or exc.error)
