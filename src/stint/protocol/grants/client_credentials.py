"""The client credentials grant (RFC 6749 §4.4): a confidential client acting for itself."""

from __future__ import annotations

from typing import Any

from stint.protocol.clients import Client
from stint.protocol.errors import UnauthorizedClientError
from stint.protocol.grants.context import GrantContext
from stint.protocol.messages import EndpointRequest
from stint.protocol.scopes import granted_scopes
from stint.protocol.tokens import Subject

__all__ = ["ClientCredentialsGrant"]


class ClientCredentialsGrant:
    grant_type = "client_credentials"

    def __init__(self, context: GrantContext) -> None:
        self._ctx = context

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        params = request.params
        if client.is_public:
            raise UnauthorizedClientError("public clients cannot use client_credentials")
        scopes = granted_scopes(params.get("scope"), client.scopes)
        # A client registered by a user acts as that user, within the client's scopes.
        subject = Subject(None)
        if client.owner_id is not None:
            username = await self._ctx.users.active_username(client.owner_id)
            if username is None:
                raise UnauthorizedClientError("the client's owner is no longer active")
            subject = Subject(client.owner_id, username)
        # §4.4.3: no refresh token; and no stored grant, so this grant costs no database write.
        return await self._ctx.tokens.response(client, subject, scopes, None)
