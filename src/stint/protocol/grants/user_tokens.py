"""The token response for a grant a user approved: what the code grant and the polling grants
(device flow, CIBA) all answer once the user said yes."""

from __future__ import annotations

from typing import Any

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError
from stint.protocol.grants.context import GrantContext
from stint.protocol.oidc.context import AuthContext
from stint.protocol.tokens import Subject

__all__ = ["user_token_response"]


async def user_token_response(
    ctx: GrantContext,
    client: Client,
    user_id: int,
    scopes: frozenset[str],
    grant_id: str,
    oidc: dict[str, Any] | None,
) -> dict[str, Any]:
    """Access token, refresh token (if the client may refresh) and, for an OpenID Connect
    approval (``oidc``, its AuthContext JSON) with the openid scope, the ID token."""
    username = await ctx.users.active_username(user_id)
    if username is None:
        raise InvalidGrantError("the user is no longer active")
    body = await ctx.tokens.response(client, Subject(user_id, username), scopes, grant_id)
    id_tokens = ctx.id_tokens
    if oidc is not None and "openid" in scopes and id_tokens is not None:
        # OIDC Core §3.1.3.3: the token response carries the ID token, at_hash bound.
        body["id_token"] = await id_tokens.issue(
            client, user_id, AuthContext.from_json(oidc), access_token=body["access_token"]
        )
    return body
