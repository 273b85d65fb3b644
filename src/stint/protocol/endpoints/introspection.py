"""Token introspection (RFC 7662), aware of every kind of revocation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stint.protocol.access_tokens import AccessTokenVerifier
from stint.protocol.client_auth import authenticate_client
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidClientError, InvalidRequestError, InvalidTokenError
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import ClientStore, TokenRecords, UserDirectory
from stint.protocol.secrets import SecretHasher

__all__ = ["IntrospectionEndpoint"]

INACTIVE: dict[str, Any] = {"active": False}


class IntrospectionEndpoint:
    def __init__(
        self,
        clients: ClientStore,
        hasher: SecretHasher,
        records: TokenRecords,
        verifier: AccessTokenVerifier,
        *,
        issuer: str,
        users: UserDirectory,
    ) -> None:
        self._clients = clients
        self._hasher = hasher
        self._grants = records.grants
        self._refresh_tokens = records.refresh_tokens
        self._opaque_tokens = records.opaque_tokens
        self._revoked = records.revoked
        self._verifier = verifier
        self._issuer = issuer
        self._users = users

    async def handle(self, request: EndpointRequest) -> dict[str, Any]:
        client = await authenticate_client(request.credentials, self._clients, self._hasher)
        if client.is_public:
            raise InvalidClientError("public clients may not introspect tokens")
        token = request.params.get("token")
        if not token:
            raise InvalidRequestError("token is required")
        if token.count(".") == 2:
            return await self._jwt(client, token)
        return await self._stored(client, token)

    async def _user_active(self, user_id: int | None) -> bool:
        """A disabled account's tokens are inactive, as the API treats them."""
        return user_id is None or await self._users.active_username(user_id) is not None

    def _may_see(self, caller: Client, token_client_id: str) -> bool:
        # RFC 7662 §4: only the token's own client, or a registered resource server, may look.
        return caller.may_introspect or caller.client_id == token_client_id

    async def _jwt(self, caller: Client, token: str) -> dict[str, Any]:
        try:
            claims = await self._verifier.verify(token)
        except InvalidTokenError:
            return INACTIVE
        if not self._may_see(caller, claims.client_id):
            return INACTIVE
        if await self._revoked.contains(claims.jti):
            return INACTIVE
        if claims.grant_id is not None and await self._grants.is_revoked(claims.grant_id):
            return INACTIVE
        if not await self._user_active(claims.user_id):
            return INACTIVE
        body: dict[str, Any] = {
            "active": True,
            "scope": " ".join(sorted(claims.scopes)),
            "client_id": claims.client_id,
            "token_type": "Bearer",
            "exp": claims.expires_at,
            "iat": claims.issued_at,
            "sub": claims.subject,
            "iss": self._issuer,
            "jti": claims.jti,
        }
        if claims.username:
            body["username"] = claims.username
        return body

    async def _stored(self, caller: Client, token: str) -> dict[str, Any]:
        token_hash = self._hasher.hash(token)
        opaque = await self._opaque_tokens.get(token_hash)
        now = datetime.now(UTC)
        if opaque is not None:
            if opaque.expires_at <= now or not self._may_see(caller, opaque.client_id):
                return INACTIVE
            if opaque.grant_id is not None and await self._grants.is_revoked(opaque.grant_id):
                return INACTIVE
            if not await self._user_active(opaque.user_id):
                return INACTIVE
            body: dict[str, Any] = {
                "active": True,
                "scope": " ".join(sorted(opaque.scopes)),
                "client_id": opaque.client_id,
                "token_type": "Bearer",
                "exp": int(opaque.expires_at.timestamp()),
                "iss": self._issuer,
            }
            if opaque.user_id is not None:
                body["sub"] = str(opaque.user_id)
                body["username"] = opaque.username
            return body
        refresh = await self._refresh_tokens.get(token_hash)
        if refresh is None or not self._may_see(caller, refresh.client_id):
            return INACTIVE
        if refresh.expires_at <= now or refresh.rotated_at is not None:
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
