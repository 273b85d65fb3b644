"""The resource owner password credentials grant (RFC 6749 §4.3); off unless a client enables it.

RFC 9700 §2.4 says it MUST NOT be used; it exists for the talk's "four flows" and for migrating
first-party clients, and each client must opt in.
"""

from __future__ import annotations

from typing import Any

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError, InvalidRequestError
from stint.protocol.grants.context import GrantContext
from stint.protocol.messages import EndpointRequest
from stint.protocol.scopes import granted_scopes
from stint.protocol.tokens import Subject

__all__ = ["PasswordGrant"]


class PasswordGrant:
    grant_type = "password"

    def __init__(self, context: GrantContext) -> None:
        self._ctx = context

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        params = request.params
        username, password = params.get("username"), params.get("password")
        if not username or password is None:
            raise InvalidRequestError("username and password are required")
        scopes = granted_scopes(params.get("scope"), client.scopes)
        user_id = await self._ctx.users.check_password(username, password, request.client_ip)
        if user_id is None:
            raise InvalidGrantError("wrong username or password")
        found = await self._ctx.users.active_username(user_id)
        subject = Subject(user_id, found or username)
        grant = await self._ctx.tokens.new_grant(client, subject, scopes)
        return await self._ctx.tokens.response(client, subject, scopes, grant.id)
