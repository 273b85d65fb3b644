"""The token endpoint (RFC 6749 §3.2): authenticate the client, dispatch to its grant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stint.protocol.client_auth import authenticate_client
from stint.protocol.errors import (
    InvalidRequestError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from stint.protocol.grants import GrantHandler
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import ClientStore
from stint.protocol.secrets import SecretHasher

__all__ = ["TokenEndpoint"]


class TokenEndpoint:
    def __init__(
        self, clients: ClientStore, hasher: SecretHasher, grants: Mapping[str, GrantHandler]
    ) -> None:
        self._clients = clients
        self._hasher = hasher
        self._grants = grants

    @property
    def grant_types(self) -> list[str]:
        return sorted(self._grants)

    async def handle(self, request: EndpointRequest) -> dict[str, Any]:
        grant_type = request.params.get("grant_type")
        if not grant_type:
            raise InvalidRequestError("grant_type is required")
        client = await authenticate_client(request.credentials, self._clients, self._hasher)
        handler = self._grants.get(grant_type)
        if handler is None:
            raise UnsupportedGrantTypeError(f"{grant_type!r} is not supported here")
        if not client.allows_grant(grant_type):
            raise UnauthorizedClientError(f"this client may not use {grant_type}")
        return await handler.exchange(client, request)
