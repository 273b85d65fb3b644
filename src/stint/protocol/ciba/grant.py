"""The CIBA grant at the token endpoint (CIBA Core §10.1, §11): poll and ping clients redeem an
approved ``auth_req_id`` once; until then they hear authorization_pending or slow_down."""

from __future__ import annotations

from typing import Any

from stint.protocol.ciba import GRANT_TYPE, POLLED_MODES
from stint.protocol.ciba.policy import DEFAULT_POLICY, CibaPolicy
from stint.protocol.ciba.ports import (
    BackchannelRequest,
    BackchannelRequestStore,
    BackchannelStatus,
)
from stint.protocol.ciba.tokens import CibaTokens
from stint.protocol.clients import Client
from stint.protocol.errors import (
    AuthorizationPendingError,
    DeniedByUserError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidRequestError,
    ServerError,
    SlowDownError,
    UnauthorizedClientError,
)
from stint.protocol.grants.context import GrantContext
from stint.protocol.messages import EndpointRequest

__all__ = ["CibaGrant"]

_MAX_AUTH_REQ_ID = 256


class CibaGrant:
    grant_type = GRANT_TYPE

    def __init__(self, context: GrantContext, policy: CibaPolicy = DEFAULT_POLICY) -> None:
        self._ctx = context
        self._policy = policy
        self._issuer = CibaTokens(context.tokens, context.grants, context.users, context.id_tokens)

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        store = self._ctx.backchannel_requests
        if store is None:
            raise ServerError(detail="the CIBA grant runs without its request store")
        # §11 unauthorized_client: a push client gets its tokens pushed, never by polling.
        if client.meta("backchannel_token_delivery_mode") not in POLLED_MODES:
            raise UnauthorizedClientError("this client is registered for push delivery")
        value = request.params.get("auth_req_id")
        if not value:
            raise InvalidRequestError("auth_req_id is required")
        if len(value) > _MAX_AUTH_REQ_ID:
            raise InvalidGrantError("unknown auth_req_id")
        auth_req_id_hash = self._ctx.tokens.hasher.hash(value)
        found = await store.get(auth_req_id_hash)
        # §11 invalid_grant: unknown, or issued to another client (which learns nothing more).
        if found is None or found.client_id != client.client_id:
            raise InvalidGrantError("unknown auth_req_id")
        now = self._ctx.tokens.now()
        if found.expires_at <= now:
            raise ExpiredTokenError("the authentication request expired")  # §11
        if found.status is BackchannelStatus.PENDING:
            found = await self._polled(store, auth_req_id_hash)
        if found.status is BackchannelStatus.DENIED:
            raise DeniedByUserError("the user denied the request")  # §11 access_denied
        if found.status is BackchannelStatus.ISSUED:
            raise InvalidGrantError("the auth_req_id was already used")
        redeemed = await store.redeem(auth_req_id_hash, now)
        if redeemed is None:
            raise InvalidGrantError("the auth_req_id was already used")  # lost a race: once only
        return await self._issuer.issue(client, redeemed)

    async def _polled(
        self, store: BackchannelRequestStore, auth_req_id_hash: str
    ) -> BackchannelRequest:
        poll = await store.poll(
            auth_req_id_hash, self._ctx.tokens.now(), self._policy.slow_down_seconds
        )
        if poll is None:
            raise InvalidGrantError("unknown auth_req_id")
        if poll.request.status is not BackchannelStatus.PENDING:
            return poll.request  # decided between our two reads
        if poll.too_fast:
            # RFC 8628 §3.5 (CIBA §11 uses its codes): the interval grows by 5 s each time.
            raise SlowDownError("polling too fast; wait longer between requests")
        raise AuthorizationPendingError("the user has not answered yet")
