"""What the OAuth core needs from storage: small ports, one per kind of record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from stint.protocol.clients import Client
from stint.protocol.consent import Consent

__all__ = [
    "Approval",
    "ApprovalStore",
    "AuthorizationCode",
    "AuthorizationCodeStore",
    "AuthorizedClient",
    "ClientRegistry",
    "ClientStore",
    "ConsentStore",
    "Grant",
    "GrantStore",
    "OpaqueAccessToken",
    "OpaqueTokenStore",
    "RefreshToken",
    "RefreshTokenStore",
    "RevokedBecause",
    "RevokedTokenStore",
    "Rotation",
    "TokenRecords",
    "UserDirectory",
    "UserGrants",
    "rotation_of_rotated",
]


class ClientStore(Protocol):
    async def get(self, client_id: str) -> Client | None: ...


class ClientRegistry(ClientStore, Protocol):
    """Clients as their owners and operators manage them: register, change, delete, list."""

    async def add(self, client: Client) -> Client:
        """Store a new client; the stored one (with its creation time) comes back."""
        ...

    async def update(self, client: Client) -> None: ...

    async def delete(self, client_id: str) -> bool: ...

    async def by_owner(self, owner_id: int) -> list[Client]: ...


@dataclass(frozen=True, slots=True)
class Grant:
    """One authorization a user (or a client, for itself) gave; every token descends from one."""

    id: str
    client_id: str
    user_id: int | None
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None = None
    oidc: dict[str, Any] | None = None  # the authentication behind it (OIDC AuthContext JSON)


class RevokedBecause(Enum):
    """Why a grant was revoked: logged with the revocation, for whoever audits it."""

    CODE_REUSED = "code_reused"  # RFC 6749 §4.1.2
    REFRESH_REPLAYED = "refresh_replayed"  # RFC 9700 §4.14.2
    REFRESH_REVOKED = "refresh_revoked"  # RFC 7009 §2.1
    USER_REVOKED = "user_revoked"  # the account page's revoke button
    FIRST_PARTY_REVOKED = "first_party_revoked"  # DELETE /api/token with the password
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)


class GrantStore(Protocol):
    async def add(self, grant: Grant) -> None: ...

    async def get(self, grant_id: str) -> Grant | None: ...

    async def oidc_context(self, grant_id: str) -> dict[str, Any] | None:
        """The OpenID Connect authentication context stored with the grant, if any."""
        ...

    async def revoke(self, grant_id: str, reason: RevokedBecause) -> None:
        """Revoke the grant in one transaction: it is marked revoked, its refresh tokens are
        deleted and the revocation is recorded for every worker, or nothing changes. Every
        token issued under it stops working (opaque ones through their grant)."""
        ...

    async def is_revoked(self, grant_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class AuthorizedClient:
    """All of a user's live grants to one client, taken together (one row on /account)."""

    client_id: str
    scopes: frozenset[str]  # the union of the live grants' scopes
    granted_at: datetime  # the newest live grant's creation
    # The newest of: a live grant's creation, and the issue or use (rotation) of one of its
    # refresh tokens. Access tokens leave no trace to read cheaply (JWTs are not stored).
    last_used_at: datetime


class UserGrants(Protocol):
    """A user's grants, as the account page shows them and takes them back."""

    async def authorized_clients(self, user_id: int) -> list[AuthorizedClient]:
        """One entry per client this user has live grants for, the last used first; the
        first-party client (/api/token) is not one of them."""
        ...

    async def revoke_for(self, user_id: int, client_id: str) -> list[str]:
        """Revoke every grant the user gave the client and forget the consent, in one
        transaction; the ids of the grants revoked come back."""
        ...


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    code_hash: str
    grant_id: str
    client_id: str
    user_id: int
    redirect_uri: str | None  # None when the request relied on the one registered URI
    scopes: frozenset[str]
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: datetime
    expires_at: datetime
    nonce: str | None = None
    oidc: dict[str, Any] | None = None


class AuthorizationCodeStore(Protocol):
    async def add(self, code: AuthorizationCode) -> None: ...

    async def get(self, code_hash: str) -> AuthorizationCode | None:
        """The code, used or not: read to check who presents it before it is consumed."""
        ...

    async def consume(self, code_hash: str) -> tuple[AuthorizationCode | None, bool]:
        """Mark the code used, atomically: (code, True) the first time, (code, False) after.

        (None, False) when no such code exists.
        """
        ...


@dataclass(frozen=True, slots=True)
class RefreshToken:
    token_hash: str
    grant_id: str
    client_id: str
    user_id: int | None
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None


class Rotation(Enum):
    ROTATED = "rotated"  # this call rotated the token
    JUST_ROTATED = "just_rotated"  # another call rotated it within the grace period
    REUSED = "reused"  # rotated before the grace period: a replayed, probably stolen token
    UNKNOWN = "unknown"


def rotation_of_rotated(rotated_at: datetime, now: datetime, grace_seconds: int) -> Rotation:
    """What presenting an already rotated token is: a replay, unless within a nonzero grace."""
    if grace_seconds > 0 and now - rotated_at <= timedelta(seconds=grace_seconds):
        return Rotation.JUST_ROTATED
    return Rotation.REUSED


class RefreshTokenStore(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get(self, token_hash: str) -> RefreshToken | None: ...

    async def rotate(
        self, token_hash: str, successor: RefreshToken, *, now: datetime, grace_seconds: int
    ) -> Rotation:
        """Retire ``token_hash`` and store ``successor``, atomically, once per token."""
        ...


@dataclass(frozen=True, slots=True)
class OpaqueAccessToken:
    token_hash: str
    grant_id: str | None
    client_id: str
    user_id: int | None
    username: str
    scopes: frozenset[str]
    expires_at: datetime


class OpaqueTokenStore(Protocol):
    async def add(self, token: OpaqueAccessToken) -> None: ...

    async def get(self, token_hash: str) -> OpaqueAccessToken | None: ...

    async def delete(self, token_hash: str) -> None: ...


class RevokedTokenStore(Protocol):
    """JWT access tokens revoked before they expire, by ``jti`` (kept until they would expire)."""

    async def add(self, jti: str, expires_at: datetime) -> None: ...

    async def contains(self, jti: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class TokenRecords:
    """Every record that says whether an issued token still stands."""

    grants: GrantStore
    refresh_tokens: RefreshTokenStore
    opaque_tokens: OpaqueTokenStore
    revoked: RevokedTokenStore


class ConsentStore(Protocol):
    async def granted(self, user_id: int, client_id: str) -> Consent:
        """What this user already consented to for this client (empty if nothing)."""
        ...


@dataclass(frozen=True, slots=True)
class Approval:
    """Everything one approval at the authorization endpoint creates."""

    grant: Grant
    code: AuthorizationCode | None = None
    opaque_token: OpaqueAccessToken | None = None  # front-channel, for a client that chose them
    consent: Consent | None = None  # just given, on top of what the user consented to before
    sid: str | None = None  # OIDC: the browser session the client now takes part in (logout)


class ApprovalStore(Protocol):
    async def record(self, approval: Approval) -> None:
        """Store all of ``approval`` in one transaction: all of it, or (on a failure) none."""
        ...


class UserDirectory(Protocol):
    """The accounts the OAuth core asks about: is this user active, and what is their name."""

    async def active_username(self, user_id: int) -> str | None: ...

    async def check_password(self, username: str, password: str, ip: str) -> int | None:
        """The user id when the password is right (throttled like any sign-in), else None."""
        ...
