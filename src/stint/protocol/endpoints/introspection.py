"""Token introspection (RFC 7662), aware of every kind of revocation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from stint.protocol.client_auth import authenticate_client
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidClientError, InvalidRequestError, InvalidTokenError
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import ClientStore, GrantStore, RefreshTokenStore
from stint.protocol.secrets import SecretHasher
from stint.protocol.token_validation import ActiveToken, TokenValidator

__all__ = ["IntrospectionEndpoint"]

INACTIVE: dict[str, Any] = {"active": False}


class IntrospectionEndpoint:
    def __init__(
        self,
        clients: ClientStore,
        hasher: SecretHasher,
        tokens: TokenValidator,
        *,
        refresh_tokens: RefreshTokenStore,
        grants: GrantStore,
        issuer: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clients = clients
        self._hasher = hasher
        self._tokens = tokens
        self._refresh_tokens = refresh_tokens
        self._grants = grants
        self._issuer = issuer
        self._clock = clock

    async def handle(self, request: EndpointRequest) -> dict[str, Any]:
        client = await authenticate_client(request.credentials, self._clients, self._hasher)
        if client.is_public:
            raise InvalidClientError("public clients may not introspect tokens")
        token = request.params.get("token")
        if not token:
            raise InvalidRequestError("token is required")
        # §2.1: the hint only orders the look-ups; an access token is tried first, as the
        # commonest, then a refresh token.
        try:
            active = await self._tokens.validate(token)
        except InvalidTokenError:
            if token.count(".") == 2:
                return INACTIVE
            return await self._refresh_token(client, token)
        if not self._may_see(client, active.client_id):
            return INACTIVE
        return self._describe(active)

    def _may_see(self, caller: Client, token_client_id: str) -> bool:
        # RFC 7662 §4: only the token's own client, or a registered resource server, may look.
        return caller.may_introspect or caller.client_id == token_client_id

    def _describe(self, token: ActiveToken) -> dict[str, Any]:
        """§2.2: what the caller may act on, for an active access token."""
        body: dict[str, Any] = {
            "active": True,
            "scope": " ".join(sorted(token.scopes)),
            "client_id": token.client_id,
            "token_type": "Bearer",
            "exp": token.expires_at,
        }
        if token.issued_at is not None:
            body["iat"] = token.issued_at
        if token.subject is not None:
            body["sub"] = token.subject
        body["iss"] = self._issuer
        if token.jti is not None:
            body["jti"] = token.jti
        if token.username:
            body["username"] = token.username
        return body

    async def _refresh_token(self, caller: Client, token: str) -> dict[str, Any]:
        refresh = await self._refresh_tokens.get(self._hasher.hash(token))
        if refresh is None or not self._may_see(caller, refresh.client_id):
            return INACTIVE
        if refresh.expires_at <= self._clock() or refresh.rotated_at is not None:
            return INACTIVE
        if await self._grants.is_revoked(refresh.grant_id):
            return INACTIVE
        return {
            "active": True,
            "scope": " ".join(sorted(refresh.scopes)),
            "client_id": refresh.client_id,
            "token_type": "refresh_token",
            "exp": int(refresh.expires_at.timestamp()),
            "iss": self._issuer,
            **({"sub": str(refresh.user_id)} if refresh.user_id is not None else {}),
        }
