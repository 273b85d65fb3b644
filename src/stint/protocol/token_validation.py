"""Whether a presented access token is active: the one rule the API, UserInfo and introspection
share (RFC 6750 §3.1 invalid_token, RFC 7662 §2.2 ``active``).

A JWT (RFC 9068) must verify and be unrevoked; an opaque token must be stored and unexpired, its
grant unrevoked. Either way the client it was issued to must still exist and the user it acts for
must still be active.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from stint.protocol.access_tokens import AccessToken, AccessTokenVerifier
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidTokenError
from stint.protocol.ports import ClientStore, GrantStore, OpaqueTokenStore, UserDirectory
from stint.protocol.scopes import FIRST_PARTY_CLIENT_ID
from stint.protocol.secrets import SecretHasher

__all__ = ["ActiveToken", "RevocationView", "TokenValidator"]

# Stint's opaque tokens are 43 characters; anything far off is not worth a database read.
_OPAQUE_LENGTHS = range(20, 101)


class RevocationView(Protocol):
    """Whether a verified JWT was revoked: its ``jti`` was (RFC 7009), or its grant was revoked
    or no longer exists. The API's resource server asks the worker's RevocationCache;
    introspection, how a revocation-sensitive resource server asks (RFC 7662), the database."""

    async def is_revoked(self, token: AccessToken) -> bool: ...


@dataclass(slots=True)  # not frozen: one per request; frozen pays object.__setattr__ per field
class ActiveToken:
    """An access token that stands: for which client, acting for whom, with which scopes."""

    client_id: str
    client: Client | None  # None for Stint's own first-party tokens (GET /api/token)
    user_id: int | None  # None: the client acting for itself (client_credentials)
    username: str  # the user's current name; "" when the token acts for no user
    scopes: frozenset[str]
    grant_id: str | None
    expires_at: int  # seconds since the epoch
    subject: str | None  # the JWT's ``sub``, else the user id
    issued_at: int | None = None  # JWTs only
    jti: str | None = None  # JWTs only


class TokenValidator:
    """Decides whether an access token is active; raises InvalidTokenError saying why not."""

    def __init__(
        self,
        verifier: AccessTokenVerifier,
        revocations: RevocationView,
        *,
        opaque_tokens: OpaqueTokenStore,
        grants: GrantStore,
        clients: ClientStore,
        users: UserDirectory,
        hasher: SecretHasher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._verifier = verifier
        self._revocations = revocations
        self._opaque_tokens = opaque_tokens
        self._grants = grants
        self._clients = clients
        self._users = users
        self._hasher = hasher
        self._clock = clock

    async def validate(self, token: str) -> ActiveToken:
        subject: str | None
        if token.count(".") == 2:
            claims = await self._verifier.verify(token)  # signature, issuer, audience, expiry
            if await self._revocations.is_revoked(claims):
                raise InvalidTokenError("the access token was revoked")
            client_id, user_id, grant_id = claims.client_id, claims.user_id, claims.grant_id
            scopes, expires_at, subject = claims.scopes, claims.expires_at, claims.subject
        else:
            stored = None
            if len(token) in _OPAQUE_LENGTHS:
                stored = await self._opaque_tokens.get(self._hasher.hash(token))
            if stored is None or stored.expires_at <= self._clock():
                raise InvalidTokenError("the access token is unknown or expired")
            if stored.grant_id is not None and await self._grants.is_revoked(stored.grant_id):
                raise InvalidTokenError("the access token was revoked")
            client_id, user_id, grant_id = stored.client_id, stored.user_id, stored.grant_id
            scopes, expires_at = stored.scopes, int(stored.expires_at.timestamp())
            subject = str(user_id) if user_id is not None else None
            claims = None
        client = None
        if client_id != FIRST_PARTY_CLIENT_ID:
            # A deleted client's tokens die with it (stores cache the lookup per worker).
            client = await self._clients.get(client_id)
            if client is None:
                raise InvalidTokenError("the client was deleted")
        username = ""
        if user_id is not None:
            found = await self._users.active_username(user_id)
            if found is None:
                raise InvalidTokenError("the account is disabled")
            username = found
        return ActiveToken(
            client_id,
            client,
            user_id,
            username,
            scopes,
            grant_id,
            expires_at,
            subject,
            claims.issued_at if claims is not None else None,
            claims.jti if claims is not None else None,
        )
