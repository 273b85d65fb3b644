"""The tokens of an approved backchannel request: as the code grant issues them (RFC 6749 §5.1
plus the ID token), and for push delivery with CIBA §10.3.1's extra ID token claims."""

from __future__ import annotations

from typing import Any

from stint.protocol.ciba.ports import BackchannelRequest
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidGrantError
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.id_token import IdTokenIssuer, half_hash
from stint.protocol.ports import GrantStore, UserDirectory
from stint.protocol.tokens import Subject, TokenFactory

__all__ = ["AUTH_REQ_ID_CLAIM", "RT_HASH_CLAIM", "CibaTokens"]

AUTH_REQ_ID_CLAIM = "urn:openid:params:jwt:claim:auth_req_id"  # §10.3.1
RT_HASH_CLAIM = "urn:openid:params:jwt:claim:rt_hash"  # §10.3.1


class CibaTokens:
    def __init__(
        self,
        tokens: TokenFactory,
        grants: GrantStore,
        users: UserDirectory,
        id_tokens: IdTokenIssuer | None,
    ) -> None:
        self._tokens = tokens
        self._grants = grants
        self._users = users
        self._id_tokens = id_tokens

    async def issue(
        self, client: Client, request: BackchannelRequest, *, pushed_auth_req_id: str | None = None
    ) -> dict[str, Any]:
        """The token response for the approved ``request``; with ``pushed_auth_req_id``, the
        push body (§10.3.1): auth_req_id beside the tokens and in the ID token, rt_hash too."""
        if request.grant_id is None:
            raise InvalidGrantError("the request was not approved")
        grant = await self._grants.get(request.grant_id)
        if grant is None or grant.revoked_at is not None:
            raise InvalidGrantError("the grant was revoked")
        username = await self._users.active_username(request.user_id)
        if username is None:
            raise InvalidGrantError("the user is no longer active")
        subject = Subject(request.user_id, username)
        body = await self._tokens.response(client, subject, request.scopes, request.grant_id)
        if self._id_tokens is not None and grant.oidc is not None:
            extra: dict[str, Any] = {}
            if pushed_auth_req_id is not None:
                alg = self._id_tokens.alg_for(client, "id_token_signed_response_alg")
                extra[AUTH_REQ_ID_CLAIM] = pushed_auth_req_id
                if "refresh_token" in body:
                    extra[RT_HASH_CLAIM] = half_hash(body["refresh_token"], alg)
            # OIDC Core §3.1.3.3 as in the code grant: at_hash bound; no nonce in CIBA.
            body["id_token"] = await self._id_tokens.issue(
                client,
                request.user_id,
                AuthContext.from_json(grant.oidc),
                access_token=body["access_token"],
                with_nonce=False,
                extra_claims=extra,
            )
        if pushed_auth_req_id is not None:
            body = {"auth_req_id": pushed_auth_req_id, **body}
        return body
