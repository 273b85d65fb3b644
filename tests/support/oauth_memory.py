"""In-memory OAuth stores (the ports of ``stint.protocol.ports``) and a grant context over them.

They keep the stores' contracts (a code is consumed once, a token rotated once) without a
database, so the grant rules are tested in microseconds. tests/storage runs each store contract
against these fakes as well as the SQL stores on SQLite and PostgreSQL: a fake that drifts fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from stint.protocol.access_tokens import AccessTokenIssuer
from stint.protocol.clients import Client, ClientType
from stint.protocol.grants.context import GrantContext
from stint.protocol.keys import KeyRing, SigningKey, generate_signing_key
from stint.protocol.ports import (
    Approval,
    AuthorizationCode,
    Grant,
    OpaqueAccessToken,
    RefreshToken,
    RevokedBecause,
    Rotation,
    rotation_of_rotated,
)
from stint.protocol.secrets import SecretHasher
from stint.protocol.tokens import TokenFactory
from tests.support.clock import Clock

__all__ = [
    "MemoryApprovals",
    "MemoryCodes",
    "MemoryGrants",
    "MemoryOAuth",
    "MemoryOpaqueTokens",
    "MemoryRefreshTokens",
    "MemoryUsers",
    "memory_oauth",
    "web_client",
]


class MemoryGrants:
    def __init__(self, clock: Clock, refresh_tokens: MemoryRefreshTokens) -> None:
        self.grants: dict[str, Grant] = {}
        self.revocations: list[tuple[str, RevokedBecause]] = []
        self._clock = clock
        self._refresh_tokens = refresh_tokens

    async def add(self, grant: Grant) -> None:
        self.grants[grant.id] = grant

    async def get(self, grant_id: str) -> Grant | None:
        return self.grants.get(grant_id)

    async def oidc_context(self, grant_id: str) -> dict[str, object] | None:
        grant = self.grants.get(grant_id)
        return grant.oidc if grant is not None else None

    async def revoke(self, grant_id: str, reason: RevokedBecause) -> None:
        """Like SqlGrantStore: the grant and its refresh tokens end together, recorded once."""
        grant = self.grants.get(grant_id)
        if grant is None or grant.revoked_at is not None:
            return
        self.grants[grant_id] = replace(grant, revoked_at=self._clock())
        self._refresh_tokens.remove_grant(grant_id)
        self.revocations.append((grant_id, reason))

    async def is_revoked(self, grant_id: str) -> bool:
        grant = self.grants.get(grant_id)
        return grant is None or grant.revoked_at is not None

    async def revoked_since(self, since: datetime) -> list[str]:
        return [
            g.id for g in self.grants.values() if g.revoked_at is not None and g.revoked_at >= since
        ]


class MemoryCodes:
    def __init__(self) -> None:
        self.codes: dict[str, AuthorizationCode] = {}
        self.used: set[str] = set()

    async def add(self, code: AuthorizationCode) -> None:
        self.codes[code.code_hash] = code

    async def get(self, code_hash: str) -> AuthorizationCode | None:
        return self.codes.get(code_hash)

    async def consume(self, code_hash: str) -> tuple[AuthorizationCode | None, bool]:
        code = self.codes.get(code_hash)
        if code is None:
            return None, False
        first = code_hash not in self.used
        self.used.add(code_hash)
        return code, first


class MemoryRefreshTokens:
    def __init__(self) -> None:
        self.tokens: dict[str, RefreshToken] = {}

    async def add(self, token: RefreshToken) -> None:
        self.tokens[token.token_hash] = token

    async def get(self, token_hash: str) -> RefreshToken | None:
        return self.tokens.get(token_hash)

    async def rotate(
        self, token_hash: str, successor: RefreshToken, *, now: datetime, grace_seconds: int
    ) -> Rotation:
        token = self.tokens.get(token_hash)
        if token is None:
            return Rotation.UNKNOWN
        if token.rotated_at is not None:
            return rotation_of_rotated(token.rotated_at, now, grace_seconds)
        self.tokens[token_hash] = replace(token, rotated_at=now)
        self.tokens[successor.token_hash] = successor
        return Rotation.ROTATED

    def remove_grant(self, grant_id: str) -> None:
        for token_hash in [h for h, t in self.tokens.items() if t.grant_id == grant_id]:
            del self.tokens[token_hash]

    def of_grant(self, grant_id: str) -> list[RefreshToken]:
        return [t for t in self.tokens.values() if t.grant_id == grant_id]


class MemoryOpaqueTokens:
    def __init__(self) -> None:
        self.tokens: dict[str, OpaqueAccessToken] = {}

    async def add(self, token: OpaqueAccessToken) -> None:
        self.tokens[token.token_hash] = token

    async def get(self, token_hash: str) -> OpaqueAccessToken | None:
        return self.tokens.get(token_hash)

    async def delete(self, token_hash: str) -> None:
        self.tokens.pop(token_hash, None)


class MemoryApprovals:
    """Approvals as SqlApprovalStore keeps them: each one whole, in one step."""

    def __init__(self) -> None:
        self.approvals: list[Approval] = []

    async def record(self, approval: Approval) -> None:
        self.approvals.append(approval)


@dataclass
class MemoryUsers:
    """Active users by id; ``check_password`` is not what these tests are about."""

    names: dict[int, str] = field(default_factory=lambda: {1: "alice"})

    async def active_username(self, user_id: int) -> str | None:
        return self.names.get(user_id)

    async def check_password(self, username: str, password: str, ip: str) -> int | None:
        return None


@dataclass
class MemoryOAuth:
    clock: Clock
    hasher: SecretHasher
    grants: MemoryGrants
    codes: MemoryCodes
    refresh_tokens: MemoryRefreshTokens
    users: MemoryUsers
    tokens: TokenFactory

    def context(self, **settings: Any) -> GrantContext:
        """The grant handlers' context: GrantContext's defaults, or ``settings`` (its fields
        ``refresh_grace_seconds``, ``refresh_family_seconds``) where given."""
        return replace(
            GrantContext(
                tokens=self.tokens,
                grants=self.grants,
                codes=self.codes,
                refresh_tokens=self.refresh_tokens,
                users=self.users,
            ),
            **settings,
        )


async def memory_oauth(*, refresh_ttl: int = 30 * 86400) -> MemoryOAuth:
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    key = generate_signing_key()

    async def load() -> list[SigningKey]:
        return [key]

    keys = KeyRing(load, clock=clock)
    await keys.reload()
    hasher = SecretHasher(b"memory-oauth-" + b"x" * 40)
    refresh_tokens = MemoryRefreshTokens()
    grants = MemoryGrants(clock, refresh_tokens)
    jwt = AccessTokenIssuer(keys, issuer="https://as.example", audience="https://as/api", ttl=600)
    tokens = TokenFactory(
        jwt,
        grants,
        refresh_tokens,
        MemoryOpaqueTokens(),
        hasher,
        refresh_ttl=refresh_ttl,
        clock=clock,
    )
    return MemoryOAuth(clock, hasher, grants, MemoryCodes(), refresh_tokens, MemoryUsers(), tokens)


def web_client(client_id: str = "web", *, public: bool = False) -> Client:
    """A client with the code and refresh grants: confidential, or public (PKCE its only proof)."""
    return Client(
        client_id=client_id,
        name=client_id,
        client_type=ClientType.PUBLIC if public else ClientType.CONFIDENTIAL,
        redirect_uris=("https://app.example/callback",),
        grant_types=frozenset({"authorization_code", "refresh_token"}),
        scopes=frozenset({"activities:read", "profile"}),
        token_endpoint_auth_method="none" if public else "client_secret_basic",
    )
