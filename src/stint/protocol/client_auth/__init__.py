"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).

One module per method; ``authenticate_client`` picks the method the request used and requires it
to be the one the client registered.
"""

from __future__ import annotations

from stint.protocol.client_auth.basic import from_basic_header
from stint.protocol.client_auth.credentials import ClientCredentials
from stint.protocol.client_auth.none import authenticate_public
from stint.protocol.client_auth.secret import authenticate_with_secret
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidClientError, InvalidRequestError
from stint.protocol.ports import ClientStore
from stint.protocol.secrets import SecretHasher

__all__ = ["ClientCredentials", "authenticate_client", "from_basic_header"]


async def authenticate_client(
    credentials: ClientCredentials, clients: ClientStore, hasher: SecretHasher
) -> Client:
    """The authenticated client, or InvalidClientError (401 when Basic was tried)."""
    if credentials.basic is not None and credentials.form_secret is not None:
        # RFC 6749 §2.3: a client must not use more than one authentication method per request.
        raise InvalidRequestError("use one client authentication method, not two")
    if credentials.basic is not None:
        client_id, secret = credentials.basic
        if credentials.form_client_id not in (None, client_id):
            raise InvalidRequestError("client_id in the body differs from the Basic credentials")
        return await authenticate_with_secret(
            client_id, secret, "client_secret_basic", clients, hasher
        )
    if credentials.form_client_id is None:
        raise InvalidClientError("client authentication is required")
    if credentials.form_secret is not None:
        return await authenticate_with_secret(
            credentials.form_client_id,
            credentials.form_secret,
            "client_secret_post",
            clients,
            hasher,
        )
    return await authenticate_public(credentials.form_client_id, clients)
