"""``none``: a public client identifies itself by client_id only (RFC 6749 §2.1, §3.2.1)."""

from __future__ import annotations

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidClientError
from stint.protocol.ports import ClientStore

__all__ = ["authenticate_public"]


async def authenticate_public(client_id: str, clients: ClientStore) -> Client:
    client = await clients.get(client_id) if len(client_id) <= 200 else None
    if client is None:
        raise InvalidClientError("unknown client")
    if client.token_endpoint_auth_method != "none":  # noqa: S105 (a method name)
        raise InvalidClientError("this client must authenticate with its secret")
    return client
