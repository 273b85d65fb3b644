"""What the OpenID Connect core needs from outside: fetching documents clients point at,
the users' claims, and the browser sessions that received ID tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from stint.protocol.clients import Client

__all__ = [
    "ClaimsSource",
    "ClientKeys",
    "DocumentFetcher",
    "FetchFailedError",
    "SessionClients",
]


class FetchFailedError(Exception):
    """A document could not be fetched; the message is shown to the client, so it says nothing
    about the network (status, timeout, address) that the client could probe with."""


class DocumentFetcher(Protocol):
    async def fetch(self, url: str, *, accept: str) -> bytes:
        """The body at ``url`` (SSRF-guarded, size- and time-limited); FetchFailedError if not."""
        ...


class ClaimsSource(Protocol):
    async def claims(self, user_id: int) -> dict[str, Any]:
        """The user's standard claims (OIDC Core §5.1), ``sub`` excluded; {} if no such user."""
        ...


class SessionClients(Protocol):
    """Which clients a browser session signed in to (recorded with each approval)."""

    async def clients(self, sid: str) -> list[str]: ...

    async def remove_session(self, sid: str) -> None: ...


class ClientKeys(Protocol):
    async def jwks(self, client: Client) -> dict[str, Any] | None:
        """The client's public keys: its registered ``jwks``, or the JWKS at its ``jwks_uri``."""
        ...
