"""What the social routes need beyond stint.connectors.ports: the account linker, as a port."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from stint.accounts.linking import Connection, LinkingPolicy, SignInAttempt, UpstreamSignIn
from stint.accounts.models import User

__all__ = ["Linker"]


class Linker(Protocol):
    """stint.accounts.linking.AccountLinker, as the routes use it."""

    async def sign_in(
        self, sign_in: UpstreamSignIn, policy: LinkingPolicy, *, connecting_user: User | None = None
    ) -> SignInAttempt: ...

    async def connections(self, user_id: int) -> list[Connection]: ...

    async def disconnect(
        self, user_id: int, provider: str, uid: str, *, usable: Collection[str] | None = None
    ) -> None: ...
