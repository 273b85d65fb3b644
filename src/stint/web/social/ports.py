"""What the social routes need of storage, as ports (implemented in stint.storage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from stint.accounts.linking import Connection, LinkingPolicy, SignInAttempt, UpstreamSignIn
from stint.accounts.models import User
from stint.connectors.config import ProviderConfig

__all__ = ["Linker", "PendingSignIn", "PendingSignIns", "ProviderStore", "Purpose"]


class Purpose(Enum):
    SIGN_IN = "sign_in"  # signed out: sign in (or sign up) with the provider
    CONNECT = "connect"  # signed in, from /account: link the provider to this account


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in sent to a provider and not back yet: kept by the hash of its ``state``."""

    state_hash: str
    provider: str
    purpose: Purpose
    next_url: str
    expires_at: datetime
    user_id: int | None = None  # CONNECT: the account that asked
    # The strategy's session (PKCE verifier, nonce, OAuth 1.0a request token): sealed at rest.
    session: dict[str, Any] = field(default_factory=dict, repr=False)


class PendingSignIns(Protocol):
    async def add(self, pending: PendingSignIn) -> None: ...

    async def take(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        """The unexpired record, removed in the same step: a second take finds nothing."""
        ...


class ProviderStore(Protocol):
    """Providers an operator added with `stint social add` (client secrets sealed at rest)."""

    async def all(self) -> list[ProviderConfig]: ...


class Linker(Protocol):
    """stint.accounts.linking.AccountLinker, as the routes use it."""

    async def sign_in(
        self, sign_in: UpstreamSignIn, policy: LinkingPolicy, *, connecting_user: User | None = None
    ) -> SignInAttempt: ...

    async def connections(self, user_id: int) -> list[Connection]: ...

    async def disconnect(self, user_id: int, provider: str, uid: str) -> None: ...
