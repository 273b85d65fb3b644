"""In-memory OAuth stores (the ports of ``stint.protocol.ports``) and a grant context over them.

They keep the stores' contracts (a code is consumed once, a token rotated once) without a
database, so the grant rules are tested in microseconds. tests/storage runs each store contract
against these fakes as well as the SQL stores on SQLite and PostgreSQL: a fake that drifts fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from stint.protocol.access_tokens import AccessToken, AccessTokenIssuer, AccessTokenVerifier
from stint.protocol.clients import Client, ClientType
from stint.protocol.device.ports import (
    SLOW_DOWN_SECONDS,
    DeviceAuthorization,
    DeviceStatus,
    Poll,
)
from stint.protocol.grants.context import GrantContext
from stint.protocol.keys import KeyRing, SigningKey, generate_signing_key
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.polling import polled_too_soon
from stint.protocol.ports import (
    Approval,
    AuthorizationCode,
    Grant,
    OpaqueAccessToken,
    RefreshToken,
    RevokedBecause,
    Rotation,
    TokenRecords,
    rotation_of_rotated,
)
from stint.protocol.secrets import SecretHasher
from stint.protocol.token_validation import RevocationView, TokenValidator
from stint.protocol.tokens import TokenFactory
from stint.storage.device_authorization_store import KEPT_AFTER_EXPIRY
from tests.support.clock import Clock

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "MemoryApprovals",
    "MemoryClients",
    "MemoryCodes",
    "MemoryDeviceAuthorizations",
    "MemoryGrants",
    "MemoryOAuth",
    "MemoryOpaqueTokens",
    "MemoryRefreshTokens",
    "MemoryRevocations",
    "MemoryRevokedTokens",
    "MemoryUsers",
    "memory_oauth",
    "web_client",
]


ISSUER = "https://as.example"
AUDIENCE = "https://as/api"


class MemoryClients:
    def __init__(self, *clients: Client) -> None:
        self.clients = {c.client_id: c for c in clients}
        self.looked_up: list[str] = []  # every id asked for, to show what was never looked up

    async def get(self, client_id: str) -> Client | None:
        self.looked_up.append(client_id)
        return self.clients.get(client_id)


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


class MemoryRevokedTokens:
    def __init__(self) -> None:
        self.jtis: dict[str, datetime] = {}

    async def add(self, jti: str, expires_at: datetime) -> None:
        self.jtis[jti] = expires_at

    async def contains(self, jti: str) -> bool:
        return jti in self.jtis


class MemoryApprovals:
    """Approvals as SqlApprovalStore keeps them: each one whole, in one step (its grant added to
    ``grants`` when given, as the grants table holds it)."""

    def __init__(self, grants: MemoryGrants | None = None) -> None:
        self.approvals: list[Approval] = []
        self._grants = grants

    async def record(self, approval: Approval) -> None:
        self.approvals.append(approval)
        if self._grants is not None:
            await self._grants.add(approval.grant)


class MemoryDeviceAuthorizations:
    """Device authorization requests as SqlDeviceAuthorizationStore keeps them: each change of
    status only from the state it requires, an approval recorded through ``approvals``."""

    def __init__(self, approvals: MemoryApprovals) -> None:
        self.requests: dict[str, DeviceAuthorization] = {}
        self._approvals = approvals

    async def add(self, authorization: DeviceAuthorization) -> bool:
        # Like the SQL store: requests long past their expiry go as new ones arrive.
        gone = authorization.created_at - KEPT_AFTER_EXPIRY
        for code_hash in [h for h, r in self.requests.items() if r.expires_at <= gone]:
            del self.requests[code_hash]
        taken = any(
            r.user_code_hash == authorization.user_code_hash for r in self.requests.values()
        )
        if taken or authorization.device_code_hash in self.requests:
            return False
        self.requests[authorization.device_code_hash] = authorization
        return True

    async def get(self, device_code_hash: str) -> DeviceAuthorization | None:
        return self.requests.get(device_code_hash)

    async def by_user_code(self, user_code_hash: str) -> DeviceAuthorization | None:
        return next((r for r in self.requests.values() if r.user_code_hash == user_code_hash), None)

    async def poll(
        self, device_code_hash: str, *, now: datetime, slow_down_seconds: int = SLOW_DOWN_SECONDS
    ) -> Poll | None:
        found = self.requests.get(device_code_hash)
        if found is None:
            return None
        last, interval = found.last_polled_at, found.interval
        too_fast = polled_too_soon(last, now, interval)
        if too_fast:
            interval += slow_down_seconds
        self.requests[device_code_hash] = replace(found, last_polled_at=now, interval=interval)
        return Poll(too_fast=too_fast, interval=interval)

    def _move(
        self, device_code_hash: str, source: DeviceStatus, now: datetime
    ) -> DeviceAuthorization | None:
        found = self.requests.get(device_code_hash)
        if found is None or found.status is not source or found.expires_at <= now:
            return None
        return found

    async def approve(self, device_code_hash: str, approval: Approval, *, now: datetime) -> bool:
        found = self._move(device_code_hash, DeviceStatus.PENDING, now)
        if found is None:
            return False
        grant = approval.grant
        await self._approvals.record(approval)
        self.requests[device_code_hash] = replace(
            found,
            status=DeviceStatus.APPROVED,
            user_id=grant.user_id,
            grant_id=grant.id,
            oidc=grant.oidc,
        )
        return True

    async def deny(self, device_code_hash: str, user_id: int, *, now: datetime) -> bool:
        found = self._move(device_code_hash, DeviceStatus.PENDING, now)
        if found is None:
            return False
        self.requests[device_code_hash] = replace(
            found, status=DeviceStatus.DENIED, user_id=user_id
        )
        return True

    async def issue(self, device_code_hash: str, *, now: datetime) -> bool:
        found = self._move(device_code_hash, DeviceStatus.APPROVED, now)
        if found is None:
            return False
        self.requests[device_code_hash] = replace(found, status=DeviceStatus.ISSUED)
        return True


@dataclass
class MemoryUsers:
    """Active users by id, and their passwords; ``attempts`` records every password check."""

    names: dict[int, str] = field(default_factory=lambda: {1: "alice"})
    passwords: dict[str, str] = field(default_factory=lambda: {"alice": "correct horse"})
    attempts: list[tuple[str, str]] = field(default_factory=list)  # (username, ip)

    async def active_username(self, user_id: int) -> str | None:
        return self.names.get(user_id)

    async def check_password(self, username: str, password: str, ip: str) -> int | None:
        self.attempts.append((username, ip))
        if self.passwords.get(username) != password:
            return None
        return next((i for i, name in self.names.items() if name == username), None)


class MemoryRevocations:
    """The RevocationView over the revoked tokens and the grants, read at every call."""

    def __init__(self, revoked: MemoryRevokedTokens, grants: MemoryGrants) -> None:
        self._revoked = revoked
        self._grants = grants

    async def is_revoked(self, token: AccessToken) -> bool:
        if await self._revoked.contains(token.jti):
            return True
        return token.grant_id is not None and await self._grants.is_revoked(token.grant_id)


@dataclass
class MemoryOAuth:
    clock: Clock
    hasher: SecretHasher
    grants: MemoryGrants
    codes: MemoryCodes
    refresh_tokens: MemoryRefreshTokens
    users: MemoryUsers
    tokens: TokenFactory
    keys: KeyRing
    opaque_tokens: MemoryOpaqueTokens
    revoked: MemoryRevokedTokens
    approvals: MemoryApprovals
    device_authorizations: MemoryDeviceAuthorizations
    clients: MemoryClients = field(default_factory=MemoryClients)

    def token_validator(self, revocations: RevocationView | None = None) -> TokenValidator:
        """The validator over these stores (``clients`` too); revocations read from them unless
        given."""
        return TokenValidator(
            self.verifier(),
            revocations or MemoryRevocations(self.revoked, self.grants),
            opaque_tokens=self.opaque_tokens,
            grants=self.grants,
            clients=self.clients,
            users=self.users,
            hasher=self.hasher,
            clock=self.clock,
        )

    @property
    def records(self) -> TokenRecords:
        return TokenRecords(self.grants, self.refresh_tokens, self.opaque_tokens, self.revoked)

    def verifier(self) -> AccessTokenVerifier:
        """A resource server's view of the access tokens ``tokens`` issues."""
        return AccessTokenVerifier(
            self.keys, issuer=ISSUER, audience=AUDIENCE, clock=self.clock.timestamp
        )

    def id_tokens(self) -> IdTokenIssuer:
        """An ID token issuer on the same keys and clock; users have a ``name`` claim."""

        class Claims:
            async def claims(self, user_id: int) -> dict[str, Any]:
                return {"name": f"User {user_id}"}

        return IdTokenIssuer(
            self.keys,
            issuer=ISSUER,
            ttl=300,
            subjects=SubjectIdentifiers(b"memory-subjects"),
            claims_source=Claims(),
            clock=lambda: self.clock().timestamp(),
        )

    def context(self, **changes: Any) -> GrantContext:
        """The grant handlers' context over these stores, with ``changes`` to its fields
        (``refresh_grace_seconds``, ``id_tokens``, a store of the test's own, ...)."""
        return replace(
            GrantContext(
                tokens=self.tokens,
                grants=self.grants,
                codes=self.codes,
                refresh_tokens=self.refresh_tokens,
                users=self.users,
                device_authorizations=self.device_authorizations,
            ),
            **changes,
        )


async def memory_oauth(
    *, refresh_ttl: int = 30 * 86400, start: datetime | None = None
) -> MemoryOAuth:
    """The stores, a token factory and keys, on a clock at ``start`` (a fixed instant if None;
    ``datetime.now(UTC)`` for code that reads the real time, as JWT expiry does)."""
    clock = Clock(start or datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    key = generate_signing_key()

    async def load() -> list[SigningKey]:
        return [key]

    keys = KeyRing(load, clock=clock)
    await keys.reload()
    hasher = SecretHasher(b"memory-oauth-" + b"x" * 40)
    refresh_tokens = MemoryRefreshTokens()
    grants = MemoryGrants(clock, refresh_tokens)
    opaque_tokens = MemoryOpaqueTokens()
    jwt = AccessTokenIssuer(keys, issuer=ISSUER, audience=AUDIENCE, ttl=600, clock=clock.timestamp)
    tokens = TokenFactory(
        jwt,
        grants,
        refresh_tokens,
        opaque_tokens,
        hasher,
        refresh_ttl=refresh_ttl,
        clock=clock,
    )
    approvals = MemoryApprovals(grants)
    return MemoryOAuth(
        clock,
        hasher,
        grants,
        MemoryCodes(),
        refresh_tokens,
        MemoryUsers(),
        tokens,
        keys,
        opaque_tokens,
        MemoryRevokedTokens(),
        approvals,
        MemoryDeviceAuthorizations(approvals),
    )


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
