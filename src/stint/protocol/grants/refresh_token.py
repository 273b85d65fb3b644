"""The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError, InvalidRequestError
from stint.protocol.grants.context import GrantContext
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.context import AuthContext
from stint.protocol.ports import RefreshToken, RevokedBecause, Rotation
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
        now = tokens.now()
        current = await self._ctx.refresh_tokens.get(tokens.hasher.hash(value))
        if current is None or current.client_id != client.client_id:
            raise InvalidGrantError("unknown refresh token")
        if current.expires_at <= now:
            raise InvalidGrantError("the refresh token expired")
        grant = await self._ctx.grants.get(current.grant_id)
        if grant is None or grant.revoked_at is not None:
            raise InvalidGrantError("the refresh token was revoked")
        # A stolen family cannot live for ever: it ends a fixed time after the grant began.
        family_ends = grant.created_at + timedelta(seconds=self._ctx.refresh_family_seconds)
        if family_ends <= now:
            raise InvalidGrantError("the grant reached its longest lifetime; authorize again")
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
        # It is derived from the token, so a replay within the grace period gets the same one.
        successor_value, successor = tokens.refresh_token(
            client,
            subject,
            current.scopes,
            current.grant_id,
            value=tokens.hasher.derived_secret(value),
            not_after=family_ends,
        )
        outcome = await self._ctx.refresh_tokens.rotate(
            current.token_hash,
            successor,
            now=now,
            grace_seconds=self._ctx.refresh_grace_seconds,
        )
        if outcome is Rotation.JUST_ROTATED and not await self._successor_stands(successor, now):
            outcome = Rotation.REUSED  # the successor moved on: this copy is not a retry
        if outcome is Rotation.REUSED:
            # RFC 9700 §4.14.2: a rotated token came back, so someone holds a copy. End the family.
            await self._ctx.grants.revoke(current.grant_id, RevokedBecause.REFRESH_REPLAYED)
            raise InvalidGrantError("the refresh token was already used")
        if outcome is Rotation.UNKNOWN:
            raise InvalidGrantError("unknown refresh token")
        # ROTATED, or a replay within the operator's grace: the same successor, nothing new
        # stored and no later expiry, so a replay never extends the family.
        body = await tokens.response(
            client, subject, scopes, current.grant_id, refresh_value=successor_value
        )
        id_tokens = self._ctx.id_tokens
        if (
            "openid" in scopes
            and current.user_id is not None
            and id_tokens is not None
            and grant.oidc is not None
        ):
            # OIDC Core §12.2: same sub and auth_time, new iat; no nonce this time.
            body["id_token"] = await id_tokens.issue(
                client,
                current.user_id,
                AuthContext.from_json(grant.oidc),
                access_token=body["access_token"],
                with_nonce=False,
            )
        return body

    async def _successor_stands(self, successor: RefreshToken, now: datetime) -> bool:
        """Whether the successor a grace-period replay would get is stored, unused and live."""
        stored = await self._ctx.refresh_tokens.get(successor.token_hash)
        return stored is not None and stored.rotated_at is None and stored.expires_at > now
