"""The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2)."""

from __future__ import annotations

from typing import Any

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError, InvalidRequestError
from stint.protocol.grants.context import GrantContext
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.context import AuthContext
from stint.protocol.ports import Rotation
from stint.protocol.scopes import granted_scopes
from stint.protocol.tokens import Subject

__all__ = ["RefreshTokenGrant"]


class RefreshTokenGrant:
    grant_type = "refresh_token"

    def __init__(self, context: GrantContext) -> None:
        self._ctx = context

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        params = request.params
        value = params.get("refresh_token")
        if not value:
            raise InvalidRequestError("refresh_token is required")
        tokens = self._ctx.tokens
        current = await self._ctx.refresh_tokens.get(tokens.hasher.hash(value))
        if current is None or current.client_id != client.client_id:
            raise InvalidGrantError("unknown refresh token")
        if current.expires_at <= tokens.now():
            raise InvalidGrantError("the refresh token expired")
        if await self._ctx.grants.is_revoked(current.grant_id):
            raise InvalidGrantError("the refresh token was revoked")
        # §6: a narrower scope may be asked for, never a wider one.
        scopes = granted_scopes(params.get("scope"), current.scopes)
        username = ""
        if current.user_id is not None:
            found = await self._ctx.users.active_username(current.user_id)
            if found is None:
                raise InvalidGrantError("the user is no longer active")
            username = found
        subject = Subject(current.user_id, username)
        # The successor keeps the grant's full scope, so narrowing one access token loses nothing.
        successor_value, successor = tokens.refresh_token(
            client, subject, current.scopes, current.grant_id
        )
        outcome = await self._ctx.refresh_tokens.rotate(
            current.token_hash,
            successor,
            now=tokens.now(),
            grace_seconds=self._ctx.refresh_grace_seconds,
        )
        if outcome is Rotation.REUSED:
            # A rotated token came back: someone holds a copy. End the whole family.
            await self._ctx.grants.revoke(current.grant_id)
            await self._ctx.refresh_tokens.delete_for_grant(current.grant_id)
            raise InvalidGrantError("the refresh token was already used")
        if outcome is Rotation.JUST_ROTATED:
            # A concurrent refresh of the same token won moments ago; the family stays valid.
            raise InvalidGrantError("the refresh token was just rotated by a concurrent request")
        if outcome is not Rotation.ROTATED:
            raise InvalidGrantError("unknown refresh token")
        body = await tokens.response(
            client, subject, scopes, current.grant_id, refresh_value=successor_value
        )
        id_tokens = self._ctx.id_tokens
        if "openid" in scopes and current.user_id is not None and id_tokens is not None:
            context = await self._ctx.grants.oidc_context(current.grant_id)
            if context is not None:
                # OIDC Core §12.2: same sub and auth_time, new iat; no nonce this time.
                body["id_token"] = await id_tokens.issue(
                    client,
                    current.user_id,
                    AuthContext.from_json(context),
                    access_token=body["access_token"],
                    with_nonce=False,
                )
        return body
