"""The client registration endpoint (RFC 7591 §3, OIDC Registration §3) and the client
configuration endpoint (RFC 7592 §2): register, read, update and delete a client.

The registration access token is a generated secret kept only as its hash (RFC 7592 §3), so it
is shown once, in the registration response; later responses repeat the one the client sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from stint.protocol.clients import Client, ClientType
from stint.protocol.errors import (
    InvalidClientMetadataError,
    InvalidRedirectUriMetadataError,
    InvalidRequestError,
    InvalidTokenError,
)
from stint.protocol.oidc.client_registration import (
    CheckedMetadata,
    RegistrationPolicy,
    check_metadata,
    registered_metadata,
)
from stint.protocol.oidc.ports import DocumentFetcher
from stint.protocol.oidc.subject import sector_of
from stint.protocol.registration import new_client_id
from stint.protocol.secrets import SecretHasher, new_secret

__all__ = ["RegisteredClients", "RegistrationEndpoint"]

# RFC 7592 §2.2: the server issues these; an update request must not carry them.
_SERVER_FIELDS = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)
# OIDC Core §8.1: what a client's pairwise subjects depend on is fixed at registration; an
# update that omits them keeps them, one that changes them is refused.
_FROZEN = ("subject_type", "sector_identifier_uri")


class RegisteredClients(Protocol):
    async def get(self, client_id: str) -> Client | None: ...

    async def add(self, client: Client) -> Client:
        """Store a new client; returns it as stored (with ``created_at``)."""
        ...

    async def update(self, client: Client) -> None: ...

    async def delete(self, client_id: str) -> bool: ...


class RegistrationEndpoint:
    def __init__(
        self,
        clients: RegisteredClients,
        hasher: SecretHasher,
        *,
        endpoint_url: str,
        policy: RegistrationPolicy,
        fetcher: DocumentFetcher | None,
        initial_access_token: str = "",
        open_to_anyone: bool = True,
    ) -> None:
        self._clients = clients
        self._hasher = hasher
        self._endpoint_url = endpoint_url.rstrip("/")
        self._policy = policy
        self._fetcher = fetcher
        self._initial_hash = hasher.hash(initial_access_token) if initial_access_token else None
        # RFC 7591 §3: without an initial access token, registration is open to anyone, unless
        # the deployment closed it (then only RFC 7592 management of existing clients remains).
        self._open = open_to_anyone and self._initial_hash is None
        self._nobody = hasher.hash(new_secret())  # compared against when the client is unknown

    async def register(self, body: Mapping[str, Any], access_token: str | None) -> dict[str, Any]:
        """RFC 7591 §3.1, §3.2.1: a new client, its secret and registration access token."""
        if not self._open and not (
            access_token
            and self._initial_hash is not None
            and self._hasher.matches(access_token, self._initial_hash)
        ):
            # RFC 7591 §3: an initial access token is a bearer token (RFC 6750 §3.1).
            raise InvalidTokenError("registering a client needs a valid initial access token")
        checked = await check_metadata(body, self._policy, self._fetcher)
        secret = None if checked.public else new_secret()
        token = new_secret()
        client = Client(
            client_id=new_client_id(),
            name=checked.name,
            client_type=ClientType.PUBLIC if checked.public else ClientType.CONFIDENTIAL,
            redirect_uris=checked.redirect_uris,
            grant_types=checked.grant_types,
            scopes=checked.scopes,
            token_endpoint_auth_method=checked.token_endpoint_auth_method,
            secret_hash=self._hasher.hash(secret) if secret else None,
            metadata=checked.metadata,
            registration_token_hash=self._hasher.hash(token),
        )
        if client.meta("subject_type") == "pairwise":
            client = replace(client, pairwise_sector=sector_of(client))
        stored = await self._clients.add(client)
        return self._information(stored, token, secret)

    async def read(self, client_id: str, access_token: str | None) -> dict[str, Any]:
        """RFC 7592 §2.1. It MAY include client_secret: we keep only its hash, so it cannot."""
        client = await self._authorised(client_id, access_token)
        return self._information(client, access_token or "", None)

    async def update(
        self, client_id: str, access_token: str | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """RFC 7592 §2.2: the request's metadata replaces the registered metadata, whole."""
        client = await self._authorised(client_id, access_token)
        for name in _SERVER_FIELDS:
            if name in body:
                raise InvalidRequestError(f"{name} must not be sent in an update")
        if body.get("client_id") != client.client_id:
            raise InvalidRequestError("client_id must be sent, and be this client's")
        sent_secret = body.get("client_secret")
        if sent_secret is not None and not (
            isinstance(sent_secret, str)
            and client.secret_hash is not None
            and self._hasher.matches(sent_secret, client.secret_hash)
        ):
            raise InvalidRequestError("client_secret is not this client's secret")
        kept = {name: client.meta(name) for name in _FROZEN if client.meta(name) is not None}
        checked = await check_metadata(
            {**kept, **{k: v for k, v in body.items() if v is not None}},
            self._policy,
            self._fetcher,
        )
        updated, secret = self._updated(client, checked)
        _check_frozen(client, updated)
        if secret is None and sent_secret is not None and not updated.is_public:
            secret = sent_secret  # checked above: the client knows it, so it may see it again
        await self._clients.update(updated)
        return self._information(updated, access_token or "", secret)

    async def delete(self, client_id: str, access_token: str | None) -> None:
        """RFC 7592 §2.3: the client goes, and its grants and tokens with it."""
        await self._authorised(client_id, access_token)
        await self._clients.delete(client_id)

    async def _authorised(self, client_id: str, access_token: str | None) -> Client:
        if not access_token:
            raise InvalidTokenError("send the registration access token as a Bearer token")
        client = await self._clients.get(client_id) if len(client_id) <= 64 else None
        expected = client.registration_token_hash if client is not None else None
        # RFC 7592 §2: an unknown client and another client's token get the same answer.
        valid = self._hasher.matches(access_token, expected or self._nobody)
        if client is None or expected is None or not valid:
            raise InvalidTokenError("the registration access token is not valid for this client")
        return client

    def _updated(self, client: Client, checked: CheckedMetadata) -> tuple[Client, str | None]:
        """The client with ``checked`` metadata; a client becoming confidential gets a secret."""
        secret = None
        secret_hash = None if checked.public else client.secret_hash
        if not checked.public and secret_hash is None:
            secret = new_secret()
            secret_hash = self._hasher.hash(secret)
        updated = replace(
            client,
            name=checked.name,
            client_type=ClientType.PUBLIC if checked.public else ClientType.CONFIDENTIAL,
            redirect_uris=checked.redirect_uris,
            grant_types=checked.grant_types,
            scopes=checked.scopes,
            token_endpoint_auth_method=checked.token_endpoint_auth_method,
            secret_hash=secret_hash,
            metadata=checked.metadata,
        )
        if client.meta("subject_type") == "pairwise":
            # A client registered before sectors were stored has its sector frozen now.
            updated = replace(updated, pairwise_sector=client.pairwise_sector or sector_of(client))
        return updated, secret

    def _information(self, client: Client, token: str, secret: str | None) -> dict[str, Any]:
        """RFC 7591 §3.2.1 / RFC 7592 §3: the client information response."""
        info: dict[str, Any] = {"client_id": client.client_id}
        if secret is not None:
            info["client_secret"] = secret
        if client.created_at is not None:
            info["client_id_issued_at"] = int(client.created_at.timestamp())
        if not client.is_public:
            info["client_secret_expires_at"] = 0  # the secret does not expire
        info["registration_access_token"] = token
        info["registration_client_uri"] = f"{self._endpoint_url}/{client.client_id}"
        return {**info, **registered_metadata(client)}


def _check_frozen(client: Client, updated: Client) -> None:
    """OIDC Core §8.1: an update keeps the subject type and sector the client registered, so the
    users' ``sub`` neither changes nor becomes another sector's."""
    for name in _FROZEN:
        if updated.meta(name) != client.meta(name):
            raise InvalidClientMetadataError(
                f"{name} cannot change after registration: register a new client"
            )
    if updated.pairwise_sector is None:
        return
    implied = sector_of(replace(updated, pairwise_sector=None))
    if implied != updated.pairwise_sector:
        raise InvalidRedirectUriMetadataError(
            f"redirect_uris must stay on {updated.pairwise_sector}, the sector of this "
            "client's pairwise subjects: register a new client for another host"
        )
