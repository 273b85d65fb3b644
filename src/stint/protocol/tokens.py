"""Minting the token response of RFC 6749 §5.1: access token (JWT or opaque), refresh token."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from stint.protocol.access_tokens import AccessTokenIssuer
from stint.protocol.clients import Client
from stint.protocol.ports import (
    Grant,
    GrantStore,
    OpaqueAccessToken,
    OpaqueTokenStore,
    RefreshToken,
    RefreshTokenStore,
)
from stint.protocol.secrets import SecretHasher, new_secret

__all__ = ["Subject", "TokenFactory"]


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a token acts for: a user, or (user_id None) the client itself."""

    user_id: int | None
    username: str = ""

    def sub(self, client: Client) -> str:
        return str(self.user_id) if self.user_id is not None else client.client_id


class TokenFactory:
    def __init__(
        self,
        jwt: AccessTokenIssuer,
        grants: GrantStore,
        refresh_tokens: RefreshTokenStore,
        opaque_tokens: OpaqueTokenStore,
        hasher: SecretHasher,
        *,
        refresh_ttl: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._jwt = jwt
        self._grants = grants
        self._refresh_tokens = refresh_tokens
        self._opaque_tokens = opaque_tokens
        self._hasher = hasher
        self._refresh_ttl = refresh_ttl
        self._clock = clock

    @property
    def hasher(self) -> SecretHasher:
        return self._hasher

    def now(self) -> datetime:
        return self._clock()

    def grant(
        self,
        client: Client,
        subject: Subject,
        scopes: frozenset[str],
        grant_id: str | None = None,
        *,
        oidc: dict[str, Any] | None = None,
    ) -> Grant:
        """A new grant, not yet stored."""
        return Grant(
            id=grant_id or secrets.token_urlsafe(16),
            client_id=client.client_id,
            user_id=subject.user_id,
            scopes=scopes,
            created_at=self._clock(),
            oidc=oidc,
        )

    async def new_grant(
        self,
        client: Client,
        subject: Subject,
        scopes: frozenset[str],
        grant_id: str | None = None,
        *,
        oidc: dict[str, Any] | None = None,
    ) -> Grant:
        grant = self.grant(client, subject, scopes, grant_id, oidc=oidc)
        await self._grants.add(grant)
        return grant

    async def access_token(
        self, client: Client, subject: Subject, scopes: frozenset[str], grant_id: str | None
    ) -> tuple[str, int]:
        """A JWT (RFC 9068), or for clients that chose them, an opaque token stored hashed."""
        if not client.opaque_access_tokens:
            issued = self._jwt.issue(
                subject=subject.sub(client),
                username=subject.username,
                client_id=client.client_id,
                scopes=scopes,
                grant_id=grant_id,
            )
            return issued.value, issued.expires_in
        value, expires_in, record = self.opaque_access_token(client, subject, scopes, grant_id)
        await self._opaque_tokens.add(record)
        return value, expires_in

    def opaque_access_token(
        self, client: Client, subject: Subject, scopes: frozenset[str], grant_id: str | None
    ) -> tuple[str, int, OpaqueAccessToken]:
        """An opaque access token, its lifetime, and the record to store (by hash) for it."""
        value = new_secret()
        record = OpaqueAccessToken(
            token_hash=self._hasher.hash(value),
            grant_id=grant_id,
            client_id=client.client_id,
            user_id=subject.user_id,
            username=subject.username,
            scopes=scopes,
            expires_at=self._clock() + timedelta(seconds=self._jwt.ttl),
        )
        return value, self._jwt.ttl, record

    def refresh_token(
        self,
        client: Client,
        subject: Subject,
        scopes: frozenset[str],
        grant_id: str,
        *,
        value: str | None = None,
        not_after: datetime | None = None,
    ) -> tuple[str, RefreshToken]:
        """A refresh token (new, or ``value``) and the record to store (by hash) for it.

        It expires after the refresh TTL, or at ``not_after`` (its family's end) if sooner.
        """
        value = value or new_secret()
        now = self._clock()
        expires_at = now + timedelta(seconds=self._refresh_ttl)
        record = RefreshToken(
            token_hash=self._hasher.hash(value),
            grant_id=grant_id,
            client_id=client.client_id,
            user_id=subject.user_id,
            scopes=scopes,
            created_at=now,
            expires_at=min(expires_at, not_after) if not_after is not None else expires_at,
        )
        return value, record

    async def response(
        self,
        client: Client,
        subject: Subject,
        scopes: frozenset[str],
        grant_id: str | None,
        *,
        refresh: RefreshToken | None = None,
        refresh_value: str | None = None,
    ) -> dict[str, Any]:
        """RFC 6749 §5.1; a refresh token only when the client may use the refresh grant."""
        access, expires_in = await self.access_token(client, subject, scopes, grant_id)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": " ".join(sorted(scopes)),
        }
        if refresh_value is not None:
            body["refresh_token"] = refresh_value
        elif grant_id is not None and client.allows_grant("refresh_token"):
            refresh_value, record = self.refresh_token(client, subject, scopes, grant_id)
            await self._refresh_tokens.add(record)
            body["refresh_token"] = refresh_value
        return body
