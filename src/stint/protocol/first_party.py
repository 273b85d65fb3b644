"""First-party tokens (``GET /api/token``): JWTs under one grant per user, so they can be revoked.

Each token carries the user's live first-party grant (``gid``). ``DELETE /api/token`` with a
token revokes that token; with the password it revokes the grant, and so every such token; a
password change revokes it too, with every other grant of the user.
"""

from __future__ import annotations

from typing import Protocol

from stint.protocol.access_tokens import AccessTokenIssuer, IssuedToken
from stint.protocol.endpoints.revocation import RevocationEndpoint
from stint.protocol.scopes import API_SCOPES, FIRST_PARTY_CLIENT_ID

__all__ = ["FirstPartyGrants", "FirstPartyTokens"]


class FirstPartyGrants(Protocol):
    async def first_party_grant(self, user_id: int) -> str:
        """The id of the user's live first-party grant, created when there is none."""
        ...

    async def revoke_first_party(self, user_id: int) -> None: ...


class FirstPartyTokens:
    def __init__(
        self, issuer: AccessTokenIssuer, grants: FirstPartyGrants, revocation: RevocationEndpoint
    ) -> None:
        self._issuer = issuer
        self._grants = grants
        self._revocation = revocation

    async def issue(self, user_id: int, username: str) -> IssuedToken:
        return self._issuer.issue(
            subject=str(user_id),
            username=username,
            client_id=FIRST_PARTY_CLIENT_ID,
            scopes=API_SCOPES,
            grant_id=await self._grants.first_party_grant(user_id),
        )

    async def revoke(self, token: str, client_id: str) -> None:
        """Revoke a token its bearer presented (it stops at once on every worker)."""
        await self._revocation.revoke(token, client_id)

    async def revoke_all(self, user_id: int) -> None:
        """Revoke every token ``issue`` gave the user."""
        await self._grants.revoke_first_party(user_id)
