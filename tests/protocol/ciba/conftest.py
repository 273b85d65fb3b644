"""A CIBA deployment over in-memory stores on one moving clock: the backchannel endpoint, the
/approve operations, the CIBA grant and the ping/push notifications, with clients of each mode."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from stint.protocol.authorize.response import Authentication
from stint.protocol.ciba import GRANT_TYPE
from stint.protocol.ciba.approval import BackchannelApprovals
from stint.protocol.ciba.endpoint import BackchannelAuthenticationEndpoint, BackchannelStarted
from stint.protocol.ciba.grant import CibaGrant
from stint.protocol.ciba.hints import HintResolver
from stint.protocol.ciba.notifications import BackchannelNotifications
from stint.protocol.ciba.policy import CibaPolicy
from stint.protocol.ciba.signed_request import SignedRequests
from stint.protocol.ciba.tokens import CibaTokens
from stint.protocol.client_auth import ClientCredentials
from stint.protocol.clients import Client, ClientType
from stint.protocol.consent import Consent
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.ports import Approval
from tests.support.ciba_memory import (
    MemoryBackchannelRequests,
    MemoryHintedUsers,
    MemoryRequestJtis,
)
from tests.support.oauth_memory import (
    ISSUER,
    MemoryApprovals,
    MemoryClients,
    MemoryOAuth,
    memory_oauth,
)

CLIENT_KEY = ECKey.generate_key("P-256", parameters={"kid": "rp-1"})
OTHER_KEY = ECKey.generate_key("P-256", parameters={"kid": "rp-1"})
NOTIFY = "https://rp.example/ciba/notify"
SECRET = "s" * 43


class RegisteredKeys:
    """The ClientKeys port: each client's registered ``jwks``."""

    async def jwks(self, client: Client) -> dict[str, Any] | None:
        value = client.meta("jwks")
        return value if isinstance(value, dict) else None


@dataclass
class MemoryConsents:
    given: dict[tuple[int, str], Consent] = field(default_factory=dict)

    async def granted(self, user_id: int, client_id: str) -> Consent:
        return self.given.get((user_id, client_id), Consent())


class RememberingApprovals(MemoryApprovals):
    """Approvals whose consent the consent store then remembers, as SqlApprovalStore does."""

    def __init__(self, consents: MemoryConsents) -> None:
        super().__init__()
        self._consents = consents

    async def record(self, approval: Approval) -> None:
        await super().record(approval)
        grant = approval.grant
        if approval.consent is not None and grant.user_id is not None:
            key = (grant.user_id, grant.client_id)
            self._consents.given[key] = self._consents.given.get(key, Consent()) | approval.consent


def ciba_client(client_id: str, mode: str | None = "poll", **metadata: Any) -> Client:
    meta: dict[str, Any] = {"jwks": {"keys": [CLIENT_KEY.as_dict(private=False)]}}
    if mode is not None:
        meta["backchannel_token_delivery_mode"] = mode
    if mode in ("ping", "push"):
        meta["backchannel_client_notification_endpoint"] = NOTIFY
    meta.update(metadata)
    return Client(
        client_id=client_id,
        name=f"App {client_id}",
        client_type=ClientType.CONFIDENTIAL,
        redirect_uris=(),
        grant_types=frozenset({GRANT_TYPE, "refresh_token"}),
        scopes=frozenset({"activities:read"}),
        token_endpoint_auth_method="client_secret_basic",
        metadata=meta,
    )


@dataclass
class World:
    oauth: MemoryOAuth
    clients: MemoryClients
    requests: MemoryBackchannelRequests
    jtis: MemoryRequestJtis
    hinted: MemoryHintedUsers
    consents: MemoryConsents
    id_tokens: IdTokenIssuer
    endpoint: BackchannelAuthenticationEndpoint
    approvals: BackchannelApprovals
    grant: CibaGrant
    notifications: BackchannelNotifications
    endpoint_parts: tuple[SignedRequests, HintResolver]

    def with_policy(self, policy: CibaPolicy) -> None:
        """Serve the endpoint under another deployment policy."""
        self.endpoint = BackchannelAuthenticationEndpoint(
            clients=self.clients,
            hasher=self.oauth.hasher,
            requests=self.requests,
            signed=self.endpoint_parts[0],
            hints=self.endpoint_parts[1],
            users=self.oauth.users,
            policy=policy,
            clock=self.oauth.clock,
        )

    def add(self, client: Client) -> Client:
        secret_hash = self.oauth.hasher.hash(SECRET)
        stored = replace(client, secret_hash=secret_hash)
        self.clients.clients[client.client_id] = stored
        return stored

    async def start(
        self, client_id: str = "poller", *, ip: str = "unknown", **params: str
    ) -> BackchannelStarted:
        """A backchannel authentication request from the client (secret in Basic), sent from
        the address ``ip``."""
        defaults = {} if "request" in params else {"scope": "openid", "login_hint": "alice"}
        values = {**defaults, **params}
        values = {k: v for k, v in values.items() if v != ""}
        credentials = ClientCredentials(basic=(client_id, SECRET))
        return await self.endpoint.handle(EndpointRequest(values, credentials, client_ip=ip))

    async def poll(self, client_id: str, auth_req_id: str) -> dict[str, Any]:
        client = self.clients.clients[client_id]
        params = {"grant_type": GRANT_TYPE, "auth_req_id": auth_req_id}
        return await self.grant.exchange(client, EndpointRequest(params))

    async def approve(self, started: BackchannelStarted) -> Any:
        authn = Authentication(self.oauth.clock(), sid="sid-1", amr=("pwd",))
        return await self.approvals.approve(1, "alice", started.request.handle, authn)

    def signed(self, claims: dict[str, Any], key: ECKey = CLIENT_KEY) -> str:
        return jwt.encode({"alg": "ES256", "kid": "rp-1"}, claims, key)

    def request_claims(self, client_id: str = "signer", **changes: Any) -> dict[str, Any]:
        now = int(self.oauth.clock().timestamp())
        claims: dict[str, Any] = {
            "iss": client_id,
            "aud": ISSUER,
            "exp": now + 300,
            "iat": now,
            "nbf": now,
            "jti": f"jti-{time.perf_counter_ns()}",
            "scope": "openid",
            "login_hint": "alice",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
async def world() -> World:
    oauth = await memory_oauth()
    clients = MemoryClients()
    consents = MemoryConsents()
    requests = MemoryBackchannelRequests(RememberingApprovals(consents), oauth.grants)
    jtis = MemoryRequestJtis(oauth.clock)
    hinted = MemoryHintedUsers()
    id_tokens = oauth.id_tokens()
    keys = RegisteredKeys()
    signed = SignedRequests(ISSUER, keys, jtis)
    hints = HintResolver(
        issuer=ISSUER,
        keys=oauth.keys,
        client_keys=keys,
        subjects=id_tokens.subjects,
        hinted=hinted,
        users=oauth.users,
    )
    endpoint = BackchannelAuthenticationEndpoint(
        clients=clients,
        hasher=oauth.hasher,
        requests=requests,
        signed=signed,
        hints=hints,
        users=oauth.users,
        clock=oauth.clock,
    )
    approvals = BackchannelApprovals(
        requests=requests,
        clients=clients,
        consents=consents,
        tokens=oauth.tokens,
        clock=oauth.clock,
    )
    tokens = CibaTokens(oauth.tokens, oauth.grants, oauth.users, id_tokens)
    world = World(
        oauth,
        clients,
        requests,
        jtis,
        hinted,
        consents,
        id_tokens,
        endpoint,
        approvals,
        CibaGrant(oauth.context(id_tokens=id_tokens, backchannel_requests=requests)),
        BackchannelNotifications(
            requests=requests, clients=clients, tokens=tokens, clock=oauth.clock
        ),
        (signed, hints),
    )
    world.add(ciba_client("poller"))
    world.add(ciba_client("pinger", "ping"))
    world.add(ciba_client("pusher", "push"))
    world.add(ciba_client("signer", backchannel_authentication_request_signing_alg="ES256"))
    world.add(ciba_client("pairwise", subject_type="pairwise"))
    return world
