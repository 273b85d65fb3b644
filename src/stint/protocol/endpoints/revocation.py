"""Token revocation (RFC 7009): refresh tokens end their grant; access tokens stop at once."""

from __future__ import annotations

from datetime import UTC, datetime

from stint.protocol.access_tokens import AccessTokenVerifier
from stint.protocol.client_auth import authenticate_client
from stint.protocol.errors import InvalidRequestError, InvalidTokenError
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import ClientStore, RevokedBecause, TokenRecords
from stint.protocol.secrets import SecretHasher

__all__ = ["RevocationEndpoint"]


class RevocationEndpoint:
    def __init__(
        self,
        clients: ClientStore,
        hasher: SecretHasher,
        records: TokenRecords,
        verifier: AccessTokenVerifier,
    ) -> None:
        self._clients = clients
        self._hasher = hasher
        self._grants = records.grants
        self._refresh_tokens = records.refresh_tokens
        self._opaque_tokens = records.opaque_tokens
        self._revoked = records.revoked
        self._verifier = verifier

    async def handle(self, request: EndpointRequest) -> None:
        """Revoke the token if this client holds it; unknown tokens are not an error (§2.2)."""
        client = await authenticate_client(request.credentials, self._clients, self._hasher)
        token = request.params.get("token")
        if not token:
            raise InvalidRequestError("token is required")
        await self.revoke(token, client.client_id)

    async def revoke(self, token: str, client_id: str) -> None:
        """Revoke ``token`` if ``client_id`` holds it; anything else is left alone."""
        # The hint only orders the look-ups (§2.1); every kind is tried.
        token_hash = self._hasher.hash(token)
        refresh = await self._refresh_tokens.get(token_hash)
        if refresh is not None:
            if refresh.client_id == client_id:
                # §2.1: revoking a refresh token also revokes the grant's access tokens.
                await self._grants.revoke(refresh.grant_id, RevokedBecause.REFRESH_REVOKED)
            return
        opaque = await self._opaque_tokens.get(token_hash)
        if opaque is not None:
            if opaque.client_id == client_id:
                await self._opaque_tokens.delete(token_hash)
            return
        if token.count(".") == 2:
            try:
                claims = await self._verifier.verify(token)
            except InvalidTokenError:
                return  # invalid or expired already: nothing to revoke
            if claims.client_id == client_id:
                expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
                await self._revoked.add(claims.jti, expires_at)
