"""GenericOAuth2: an OAuth 2.0 provider the operator describes by URLs, against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.connectors.exceptions import AuthFailed
from stint.connectors.providers.generic import GenericOAuth2
from stint.connectors.registry import backend_class
from stint.connectors.strategy import Strategy
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.oidc_provider import FakeOpenIdProvider, serving
from tests.support.upstreams.sign_in import begin

pytestmark = pytest.mark.anyio

CLIENT_ID = "stint"
CLIENT_SECRET = "an-upstream-client-secret-of-32-bytes-or-more"
PERSON = {"sub": "u-81", "nickname": "ann", "email": "ann@example.org", "name": "Ann Example"}


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeOpenIdProvider]:
    with serving(FakeOpenIdProvider(CLIENT_ID, CLIENT_SECRET, dict(PERSON))) as fake:
        yield fake


@pytest.fixture(autouse=True)
def behaving(provider: FakeOpenIdProvider) -> None:
    provider.reset()


def settings(provider: FakeOpenIdProvider, **more: Any) -> dict[str, Any]:
    return {
        "KEY": CLIENT_ID,
        "SECRET": CLIENT_SECRET,
        "AUTHORIZATION_URL": provider.endpoint("authorize"),
        "ACCESS_TOKEN_URL": provider.endpoint("token"),
        "USER_DATA_URL": provider.endpoint("userinfo"),
        "ID_KEY": "sub",
        "SCOPE": ["profile", "email"],
        **more,
    }


def test_oauth2_is_the_built_in_name_of_the_generic_backend() -> None:
    assert backend_class("oauth2") is GenericOAuth2


async def test_signs_in_with_the_configured_urls_and_id_key(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(GenericOAuth2, settings(provider, USERNAME_KEY="nickname"), transport)
    identity = await attempt.complete()
    assert identity.uid == "u-81"
    assert identity.details["username"] == "ann"
    assert identity.details["email"] == "ann@example.org"
    assert identity.details["fullname"] == "Ann Example"
    assert identity.email_verified is False  # nothing asserted it
    assert parse_qs(urlsplit(attempt.authorize_url).query)["scope"] == ["profile email"]


async def test_pkce_can_be_turned_off_for_a_provider_that_rejects_it(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(GenericOAuth2, settings(provider, PKCE=False), transport)
    assert "code_challenge" not in parse_qs(urlsplit(attempt.authorize_url).query)
    assert (await attempt.complete()).uid == "u-81"
    assert "code_verifier" not in provider.token_requests[-1]


async def test_the_token_request_may_be_a_get(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(GenericOAuth2, settings(provider, ACCESS_TOKEN_METHOD="GET"), transport)
    assert (await attempt.complete()).uid == "u-81"


async def test_an_id_key_missing_from_the_user_data_is_refused(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(GenericOAuth2, settings(provider, ID_KEY="user_id"), transport)
    with pytest.raises(AuthFailed, match="did not say who you are"):
        await attempt.complete()


async def test_a_provider_without_urls_says_it_is_not_configured() -> None:
    backend = GenericOAuth2(Strategy(settings={"KEY": CLIENT_ID}, state="a-state"))
    with pytest.raises(AuthFailed, match="no AUTHORIZATION_URL"):
        await backend.auth_url()
