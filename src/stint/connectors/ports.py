"""What social login keeps between requests: operator-added providers and pending sign-ins.

Storage implements these (``stint.storage.upstream_*_store``); the web layer uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from stint.connectors.config import ProviderConfig

__all__ = [
    "PendingSignIn",
    "ProviderExistsError",
    "SignInPurpose",
    "UpstreamProviderStore",
    "UpstreamSignInStore",
]

# login: sign in (or up) through the provider; connect: link it to the signed-in account.
SignInPurpose = Literal["login", "connect"]


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in between /login/<provider>/ and /complete/<provider>/."""

    provider: str
    purpose: SignInPurpose
    # The backend's strategy.session: PKCE verifier, nonce, OAuth 1.0a request token.
    session: dict[str, Any] = field(default_factory=dict, repr=False)
    next_url: str = ""  # where to go once signed in (an authorization request to resume)
    user_id: int | None = None  # connect: the account that started it


class UpstreamSignInStore(Protocol):
    """Pending sign-ins by their ``state``, each taken at most once."""

    async def put(self, state: str, pending: PendingSignIn, ttl_seconds: int) -> None:
        """Keep ``pending`` under ``state`` (stored hashed; the session sealed)."""
        ...

    async def take(self, state: str) -> PendingSignIn | None:
        """The pending sign-in, removed: of any number of takes of one state (a replayed
        /complete URL) exactly one gets it. None when unknown, taken or expired."""
        ...

    async def prune(self) -> int:
        """Remove expired ones; how many."""
        ...


class ProviderExistsError(Exception):
    """A provider of this name was added already."""


class UpstreamProviderStore(Protocol):
    """Providers the operator added with `stint social add` (their client secret sealed)."""

    async def add(self, config: ProviderConfig, *, replace: bool = False) -> None:
        """Store ``config``; ProviderExistsError when the name is taken and not ``replace``."""
        ...

    async def get(self, name: str) -> ProviderConfig | None: ...

    async def list_all(self) -> list[ProviderConfig]:
        """Every stored provider, by name."""
        ...

    async def remove(self, name: str) -> bool:
        """False when there was none of this name."""
        ...
