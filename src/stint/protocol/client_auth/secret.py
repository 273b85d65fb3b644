"""client_secret_basic and client_secret_post: the secret checked against its keyed hash."""

from __future__ import annotations

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidClientError
from stint.protocol.ports import ClientStore
from stint.protocol.secrets import SecretHasher

__all__ = ["authenticate_with_secret"]

# Compared against when the client does not exist, so both paths take the same time.
_NO_HASH = "0" * 64


async def authenticate_with_secret(
    client_id: str, secret: str, method: str, clients: ClientStore, hasher: SecretHasher
) -> Client:
    client = await clients.get(client_id) if len(client_id) <= 200 else None
    expected = client.secret_hash if client is not None and client.secret_hash else _NO_HASH
    valid = hasher.matches(secret, expected)
    if client is None or not valid or client.secret_hash is None:
        raise InvalidClientError("unknown client or wrong secret")
    if client.token_endpoint_auth_method != method:
        raise InvalidClientError(
            f"this client authenticates with {client.token_endpoint_auth_method}"
        )
    return client
