"""The device authorization endpoint (RFC 8628 §3.1-3.2): who may ask, for which scopes, and
what comes back; the codes are kept only as keyed hashes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from stint.protocol.client_auth import ClientCredentials
from stint.protocol.device.authorization import DeviceAuthorizationEndpoint, DeviceFlowPolicy
from stint.protocol.device.ports import DeviceAuthorization, DeviceStatus
from stint.protocol.device.user_code import ALPHABET, normalise
from stint.protocol.errors import (
    InvalidClientError,
    InvalidScopeError,
    ServerError,
    UnauthorizedClientError,
)
from stint.protocol.messages import EndpointRequest
from tests.protocol.device.conftest import TV_SECRET, VERIFICATION_URI, DeviceFlow
from tests.support.oauth_memory import MemoryApprovals, MemoryDeviceAuthorizations

pytestmark = pytest.mark.anyio


async def test_the_answer_names_both_codes_the_page_and_the_timing(flow: DeviceFlow) -> None:
    body = await flow.start(scope="activities:read")
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert len(body["device_code"]) >= 43  # 256 bits, base64url
    user_code = body["user_code"]
    assert len(user_code) == 9 and user_code[4] == "-"
    assert set(user_code.replace("-", "")) <= set(ALPHABET)
    assert body["verification_uri"] == VERIFICATION_URI
    complete = urlsplit(body["verification_uri_complete"])
    assert complete._replace(query="").geturl() == VERIFICATION_URI
    assert parse_qs(complete.query) == {"user_code": [user_code]}  # §3.3.1
    assert (body["expires_in"], body["interval"]) == (600, 5)


async def test_only_keyed_hashes_of_the_codes_are_stored(flow: DeviceFlow) -> None:
    body = await flow.start(scope="activities:read")
    (stored,) = flow.oauth.device_authorizations.requests.values()
    hasher, now = flow.oauth.hasher, flow.oauth.clock()
    assert stored == DeviceAuthorization(
        device_code_hash=hasher.hash(body["device_code"]),
        user_code_hash=hasher.hash(str(normalise(body["user_code"]))),
        client_id="tv",
        scopes=frozenset({"activities:read"}),
        interval=5,
        created_at=now,
        expires_at=flow.oauth.clock().replace(minute=10),
        status=DeviceStatus.PENDING,
    )
    assert (stored.expires_at - now).total_seconds() == 600
    assert body["device_code"] not in repr(stored) and body["user_code"] not in repr(stored)


async def test_without_a_scope_the_client_asks_for_all_of_its_own(flow: DeviceFlow) -> None:
    await flow.start()
    (stored,) = flow.oauth.device_authorizations.requests.values()
    assert stored.scopes == {"activities:read", "time-entries:write"}


async def test_identity_scopes_are_open_to_the_client_as_at_the_authorization_endpoint(
    flow: DeviceFlow,
) -> None:
    await flow.start(scope="openid profile activities:read")
    (stored,) = flow.oauth.device_authorizations.requests.values()
    assert stored.scopes == {"openid", "profile", "activities:read"}


@pytest.mark.parametrize("scope", ["reports:read", "activities:read admin", ""])
async def test_a_scope_the_client_may_not_have_is_invalid_scope(
    flow: DeviceFlow, scope: str
) -> None:
    with pytest.raises(InvalidScopeError):
        await flow.start(scope=scope)
    assert flow.oauth.device_authorizations.requests == {}


async def test_a_client_not_registered_for_the_device_grant_is_unauthorized_client(
    flow: DeviceFlow,
) -> None:
    with pytest.raises(UnauthorizedClientError):
        await flow.start("web")  # a public web client of the code grant only
    assert flow.oauth.device_authorizations.requests == {}


async def test_an_unknown_client_is_invalid_client(flow: DeviceFlow) -> None:
    with pytest.raises(InvalidClientError):
        await flow.start("nobody")


async def test_a_confidential_client_authenticates_as_at_the_token_endpoint(
    flow: DeviceFlow,
) -> None:
    """§3.1, RFC 6749 §3.2.1: its id alone is not enough; its secret is."""
    with pytest.raises(InvalidClientError):
        await flow.start("office")
    wrong = ClientCredentials(basic=("office", "not-the-secret"))
    with pytest.raises(InvalidClientError):
        await flow.endpoint.handle(EndpointRequest({}, wrong))
    right = ClientCredentials(basic=("office", TV_SECRET))
    body = await flow.endpoint.handle(EndpointRequest({"scope": "activities:read"}, right))
    assert body["device_code"]


class _TakenFirst(MemoryDeviceAuthorizations):
    """A store where the first ``taken`` user codes drawn are in use already."""

    def __init__(self, taken: int) -> None:
        super().__init__(MemoryApprovals())
        self.taken = taken
        self.tried: list[str] = []

    async def add(self, authorization: DeviceAuthorization) -> bool:
        self.tried.append(authorization.user_code_hash)
        if len(self.tried) <= self.taken:
            return False
        return await super().add(authorization)


def _endpoint(flow: DeviceFlow, store: _TakenFirst) -> DeviceAuthorizationEndpoint:
    policy = DeviceFlowPolicy(VERIFICATION_URI)
    return DeviceAuthorizationEndpoint(
        flow.clients, flow.oauth.hasher, store, policy, clock=flow.oauth.clock
    )


async def test_a_user_code_in_use_is_drawn_again(flow: DeviceFlow) -> None:
    store = _TakenFirst(taken=2)
    request = EndpointRequest({}, ClientCredentials(form_client_id="tv"))
    body = await _endpoint(flow, store).handle(request)
    assert len(store.tried) == 3
    assert store.tried[-1] == flow.oauth.hasher.hash(str(normalise(body["user_code"])))


async def test_no_free_user_code_after_several_draws_is_a_server_error(flow: DeviceFlow) -> None:
    store = _TakenFirst(taken=100)
    request = EndpointRequest({}, ClientCredentials(form_client_id="tv"))
    with pytest.raises(ServerError):
        await _endpoint(flow, store).handle(request)
    assert store.requests == {}


async def test_a_verification_uri_with_a_query_gets_the_user_code_appended(
    flow: DeviceFlow,
) -> None:
    policy = DeviceFlowPolicy("https://as.example/device?lang=en", interval=10, expires_in=300)
    endpoint = DeviceAuthorizationEndpoint(
        flow.clients, flow.oauth.hasher, flow.oauth.device_authorizations, policy
    )
    body = await endpoint.handle(EndpointRequest({}, ClientCredentials(form_client_id="tv")))
    query = parse_qs(urlsplit(body["verification_uri_complete"]).query)
    assert query == {"lang": ["en"], "user_code": [body["user_code"]]}
    assert (body["expires_in"], body["interval"]) == (300, 10)
