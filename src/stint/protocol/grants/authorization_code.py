"""The authorization code grant's token step (RFC 6749 §4.1.3), with PKCE (RFC 7636 §4.6)."""

from __future__ import annotations

from typing import Any

from stint.protocol import pkce
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError, InvalidRequestError
from stint.protocol.grants.context import GrantContext
from stint.protocol.grants.user_tokens import user_token_response
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import RevokedBecause

__all__ = ["AuthorizationCodeGrant"]


class AuthorizationCodeGrant:
    grant_type = "authorization_code"

    def __init__(self, context: GrantContext) -> None:
        self._ctx = context

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        params = request.params
        value = params.get("code")
        if not value:
            raise InvalidRequestError("code is required")
        code_hash = self._ctx.tokens.hasher.hash(value)
        # Whoever presents the code proves they may redeem it before it is used up: a leaked
        # code in another client's hands (or without the PKCE verifier) burns nothing.
        code = await self._ctx.codes.get(code_hash)
        if code is None:
            raise InvalidGrantError("unknown authorization code")
        if code.client_id != client.client_id:
            raise InvalidGrantError("the code was issued to another client")
        # §4.1.3: redirect_uri must repeat the authorization request's exactly.
        if code.redirect_uri is not None and params.get("redirect_uri") != code.redirect_uri:
            raise InvalidGrantError("redirect_uri differs from the authorization request's")
        verifier = params.get("code_verifier")
        if code.code_challenge is not None and code.code_challenge_method is not None:
            pkce.verify(verifier, code.code_challenge, code.code_challenge_method)
        elif verifier is not None:
            # RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade.
            raise InvalidGrantError("code_verifier sent for a code issued without PKCE")
        _, first_use = await self._ctx.codes.consume(code_hash)
        if not first_use:
            # RFC 6749 §4.1.2: a reused code revokes every token issued from it.
            await self._ctx.grants.revoke(code.grant_id, RevokedBecause.CODE_REUSED)
            raise InvalidGrantError("the authorization code was already used")
        if code.expires_at <= self._ctx.tokens.now():
            raise InvalidGrantError("the authorization code expired")
        return await user_token_response(
            self._ctx, client, code.user_id, code.scopes, code.grant_id, code.oidc
        )
