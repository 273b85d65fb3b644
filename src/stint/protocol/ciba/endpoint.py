"""The backchannel authentication endpoint (CIBA Core §7): authenticate the client as the token
endpoint does, check its request (§7.1, §7.2), store it pending, answer ``auth_req_id`` (§7.3)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from stint.protocol.ciba import GRANT_TYPE, NOTIFIED_MODES, POLLED_MODES
from stint.protocol.ciba.errors import (
    InvalidBindingMessageError,
    InvalidUserCodeError,
    MissingUserCodeError,
)
from stint.protocol.ciba.hints import HintResolver
from stint.protocol.ciba.policy import DEFAULT_POLICY, CibaPolicy
from stint.protocol.ciba.ports import BackchannelRequest, BackchannelRequestStore
from stint.protocol.ciba.signed_request import SignedRequests
from stint.protocol.client_auth import authenticate_client
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidRequestError, UnauthorizedClientError
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.ports import ClientStore, UserDirectory
from stint.protocol.scopes import scopes_to_ask
from stint.protocol.secrets import SecretHasher, new_secret

__all__ = ["BackchannelAuthenticationEndpoint", "BackchannelStarted"]

_MAX_NOTIFICATION_TOKEN = 1024  # §7.1: the OP may limit its length (1024 is the FAPI bound)
_MAX_ACR_VALUES = 512


@dataclass(frozen=True, slots=True)
class BackchannelStarted:
    """The §7.3 response body, and the stored request (for /approve and operator webhooks)."""

    body: dict[str, Any]
    request: BackchannelRequest
    client: Client


class BackchannelAuthenticationEndpoint:
    def __init__(
        self,
        *,
        clients: ClientStore,
        hasher: SecretHasher,
        requests: BackchannelRequestStore,
        signed: SignedRequests,
        hints: HintResolver,
        users: UserDirectory,
        policy: CibaPolicy = DEFAULT_POLICY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clients = clients
        self._hasher = hasher
        self._requests = requests
        self._signed = signed
        self._hints = hints
        self._users = users
        self._policy = policy
        self._clock = clock

    async def handle(self, request: EndpointRequest) -> BackchannelStarted:
        # §7.1: the client authenticates as it does at the token endpoint.
        client = await authenticate_client(request.credentials, self._clients, self._hasher)
        mode = self._mode_of(client)
        now = self._clock()
        params = await self._signed.parameters(request.params, client, now)
        scopes = _scopes(params, client)
        notification_token = _notification_token(params, mode)
        user_id = await self._hints.user_id(params, client, now)
        binding_message = self._binding_message(params)
        claims = ClaimsRequest.parse(params.get("claims"))
        acr_values = params.get("acr_values") or ""
        if len(acr_values) > _MAX_ACR_VALUES:
            raise InvalidRequestError("acr_values is too long")
        expires_in = self._expiry(params.get("requested_expiry"))
        # Last: a request refused for another reason costs no password check.
        await self._check_user_code(params, client, user_id, request.client_ip)
        auth_req_id = new_secret()  # 256 bits (§7.3 asks for at least 128)
        record = BackchannelRequest(
            auth_req_id_hash=self._hasher.hash(auth_req_id),
            handle=secrets.token_urlsafe(16),
            client_id=client.client_id,
            user_id=user_id,
            scopes=scopes,
            delivery_mode=mode,
            created_at=now,
            expires_at=now + timedelta(seconds=expires_in),
            interval=self._policy.interval_seconds if mode in POLLED_MODES else 0,
            binding_message=binding_message,
            acr_values=tuple(acr_values.split()),
            claims=claims.to_json() if claims.names else None,
            auth_req_id=auth_req_id if mode in NOTIFIED_MODES else None,
            client_notification_token=notification_token,
        )
        await self._requests.add(record)
        body: dict[str, Any] = {"auth_req_id": auth_req_id, "expires_in": expires_in}
        if mode in POLLED_MODES:
            body["interval"] = record.interval  # §7.3: for poll and ping clients only
        return BackchannelStarted(body, record, client)

    def _mode_of(self, client: Client) -> str:
        """The client's registered token delivery mode (§5), if the deployment offers it."""
        if client.is_public:
            raise UnauthorizedClientError("CIBA is for confidential clients")
        if not client.allows_grant(GRANT_TYPE):
            raise UnauthorizedClientError("this client is not registered for CIBA")
        mode = client.meta("backchannel_token_delivery_mode")
        if mode not in self._policy.delivery_modes:
            raise UnauthorizedClientError("this client has no token delivery mode offered here")
        if mode in NOTIFIED_MODES and not client.meta("backchannel_client_notification_endpoint"):
            raise UnauthorizedClientError("this client registered no notification endpoint")
        return str(mode)

    def _binding_message(self, params: Mapping[str, str]) -> str | None:
        message = params.get("binding_message")
        if message is None:
            return None
        # §7.1: short plain text, shown on both devices; no control characters or markup.
        if not message or len(message) > self._policy.binding_message_max_length:
            raise InvalidBindingMessageError(
                f"binding_message must be 1 to {self._policy.binding_message_max_length} characters"
            )
        if not message.isprintable() or any(c in "<>" for c in message):
            raise InvalidBindingMessageError("binding_message must be plain printable text")
        return message

    async def _check_user_code(
        self, params: Mapping[str, str], client: Client, user_id: int, ip: str
    ) -> None:
        # §7.1 user_code: only where the client registered backchannel_user_code_parameter
        # (registration refuses it while the deployment checks no user codes, §4).
        if client.meta("backchannel_user_code_parameter") is not True:
            return
        code = params.get("user_code")
        if not code:
            raise MissingUserCodeError("this client must send user_code")
        if not self._policy.user_code_supported:
            raise InvalidUserCodeError("this provider checks no user codes")
        # The code is the person's password, checked as a sign-in from the client's address:
        # throttled per account and per address, a wrong one counted as a failed sign-in. A
        # throttled check, or an account with no password, is invalid too: a guesser learns
        # nothing more (§13). The code itself is never stored nor put in an error or a log.
        username = await self._users.active_username(user_id)
        checked = await self._users.check_password(username, code, ip) if username else None
        if checked != user_id:
            raise InvalidUserCodeError("user_code is not the person's code")

    def _expiry(self, requested: str | None) -> int:
        if requested is None:
            return self._policy.default_expiry_seconds
        # §7.1: a positive integer; the OP may shorten it.
        if not requested.isascii() or not requested.isdigit() or len(requested) > 9:
            raise InvalidRequestError("requested_expiry must be a positive integer")
        seconds = int(requested)
        if seconds < 1:
            raise InvalidRequestError("requested_expiry must be a positive integer")
        return min(seconds, self._policy.max_expiry_seconds)


def _scopes(params: Mapping[str, str], client: Client) -> frozenset[str]:
    raw = params.get("scope")
    if not raw:
        raise InvalidRequestError("scope is required")
    scopes = scopes_to_ask(raw, client.scopes)  # identity scopes are open to every client
    if "openid" not in scopes:
        raise InvalidRequestError("scope must include openid")  # §7.1
    return scopes


def _notification_token(params: Mapping[str, str], mode: str) -> str | None:
    token = params.get("client_notification_token")
    if mode not in NOTIFIED_MODES:
        return None  # §7.1: only ping and push clients send one
    if not token:
        raise InvalidRequestError("client_notification_token is required in ping and push modes")
    if len(token) > _MAX_NOTIFICATION_TOKEN or not token.isascii() or not token.isprintable():
        raise InvalidRequestError("client_notification_token is malformed")
    return token
