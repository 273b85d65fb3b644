"""BaseOAuth2: backends written as python-social-auth's "Adding a new backend" page shows, run
against a real OAuth 2.0 server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.connectors.exceptions import (
    AuthMissingParameter,
    AuthStateForbidden,
    AuthStateMissing,
    AuthTokenError,
    AuthUnreachable,
)
from stint.connectors.oauth import BaseOAuth2
from stint.connectors.strategy import Strategy
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.oidc_provider import FakeOpenIdProvider, serving
from tests.support.upstreams.sign_in import begin

pytestmark = pytest.mark.anyio

CLIENT_ID = "stint"
CLIENT_SECRET = "an-upstream-client-secret-of-32-bytes-or-more"
PERSON = {"sub": "4217", "nickname": "ann", "email": "ann@example.org", "name": "Ann Example"}
SETTINGS = {"KEY": CLIENT_ID, "SECRET": CLIENT_SECRET}


class PageExample(BaseOAuth2):
    """The page's shape: URLs as class attributes, a plain ``user_data`` calling ``get_json``."""

    name = "upstream"
    ID_KEY = "sub"
    ACCESS_TOKEN_METHOD = "POST"
    SCOPE_SEPARATOR = ","
    DEFAULT_SCOPE = ("profile",)
    EXTRA_DATA = (("nickname", "login"),)
    USER_URL = ""

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        return {"username": response.get("nickname"), "email": response.get("email") or ""}

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> Any:
        return self.get_json(self.USER_URL, headers={"Authorization": f"Bearer {access_token}"})


class AsyncExample(PageExample):
    async def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> Any:
        return await self.aget_json(
            self.USER_URL, headers={"Authorization": f"Bearer {access_token}"}
        )


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeOpenIdProvider]:
    with serving(FakeOpenIdProvider(CLIENT_ID, CLIENT_SECRET, dict(PERSON))) as fake:
        yield fake


@pytest.fixture(autouse=True)
def behaving(provider: FakeOpenIdProvider) -> None:
    provider.reset()


def at(provider: FakeOpenIdProvider, base: type[PageExample], **attributes: Any) -> type[Any]:
    """``base`` pointed at the fake provider."""
    urls = {
        "AUTHORIZATION_URL": provider.endpoint("authorize"),
        "ACCESS_TOKEN_URL": provider.endpoint("token"),
        "USER_URL": provider.endpoint("userinfo"),
    }
    return type(base.__name__, (base,), {**urls, **attributes})


@pytest.mark.parametrize("base", [PageExample, AsyncExample])
async def test_a_backend_shaped_as_python_social_auths_page_signs_in(
    provider: FakeOpenIdProvider, transport: UpstreamTransport, base: type[PageExample]
) -> None:
    attempt = await begin(at(provider, base), {**SETTINGS, "SCOPE": ["email"]}, transport)
    assert parse_qs(urlsplit(attempt.authorize_url).query)["scope"] == ["profile,email"]
    identity = await attempt.complete()
    assert identity.uid == "4217"
    assert identity.details == {"username": "ann", "email": "ann@example.org"}
    assert identity.extra_data == {"login": "ann"}
    assert identity.tokens["token_type"] == "Bearer"
    assert "access_token" in identity.tokens


async def test_the_token_request_is_a_get_by_default_as_in_python_social_auth(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    backend = at(provider, PageExample, ACCESS_TOKEN_METHOD=BaseOAuth2.ACCESS_TOKEN_METHOD)
    assert backend.ACCESS_TOKEN_METHOD == "GET"
    assert (await (await begin(backend, SETTINGS, transport)).complete()).uid == "4217"


async def test_a_form_encoded_token_answer_is_read_as_github_sends_it(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.form_encoded_token = True
    attempt = await begin(at(provider, PageExample), SETTINGS, transport)
    assert (await attempt.complete()).uid == "4217"


async def test_the_client_may_authenticate_with_http_basic(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    backend = at(provider, PageExample, TOKEN_ENDPOINT_AUTH_METHOD="client_secret_basic")
    assert (await (await begin(backend, SETTINGS, transport)).complete()).uid == "4217"
    assert "client_secret" not in provider.token_requests[-1]


async def test_a_provider_without_state_gets_it_back_in_the_redirect_uri(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    backend = at(provider, PageExample, STATE_PARAMETER=False, REDIRECT_STATE=True)
    attempt = await begin(backend, SETTINGS, transport)
    query = parse_qs(urlsplit(attempt.authorize_url).query)
    assert "state" not in query
    assert f"redirect_state={attempt.state}" in query["redirect_uri"][0]
    assert attempt.callback["redirect_state"] == attempt.state
    assert (await attempt.complete()).uid == "4217"  # the token request's redirect_uri matched


async def test_a_wrong_redirect_state_is_refused(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    backend = at(provider, PageExample, STATE_PARAMETER=False, REDIRECT_STATE=True)
    attempt = await begin(backend, SETTINGS, transport)
    with pytest.raises(AuthStateForbidden):
        await attempt.complete(redirect_state="another")


async def test_a_sign_in_whose_stored_state_is_gone_is_refused(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(at(provider, PageExample), SETTINGS, transport)
    attempt.state = ""
    with pytest.raises(AuthStateMissing):
        await attempt.complete()


async def test_a_callback_without_a_code_is_refused(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(at(provider, PageExample), SETTINGS, transport)
    with pytest.raises(AuthMissingParameter, match="code"):
        await attempt.complete(code="")


async def test_a_token_answer_without_an_access_token_is_refused(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.no_access_token = True
    attempt = await begin(at(provider, PageExample), SETTINGS, transport)
    with pytest.raises(AuthTokenError):
        await attempt.complete()


async def test_a_token_endpoint_nobody_listens_on_is_unreachable(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    backend = at(provider, PageExample, ACCESS_TOKEN_URL=f"http://127.0.0.1:{closed_port}/t")
    attempt = await begin(backend, SETTINGS, transport)
    with pytest.raises(AuthUnreachable):
        await attempt.complete()


async def test_extra_arguments_reach_the_provider_but_never_replace_state_or_pkce(
    provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    extra = {"prompt": "consent", "state": "fixed", "code_challenge_method": "plain"}
    attempt = await begin(
        at(provider, PageExample), {**SETTINGS, "AUTH_EXTRA_ARGUMENTS": extra}, transport
    )
    query = parse_qs(urlsplit(attempt.authorize_url).query)
    assert query["prompt"] == ["consent"]
    assert query["state"] == [attempt.state]
    assert query["code_challenge_method"] == ["S256"]


async def test_a_sign_in_never_starts_without_state(provider: FakeOpenIdProvider) -> None:
    backend = at(provider, PageExample)(Strategy(settings=SETTINGS, redirect_uri="https://s/c/"))
    with pytest.raises(AuthStateMissing):
        await backend.auth_url()


def test_the_scope_is_the_defaults_then_the_operators_each_once() -> None:
    class Scoped(BaseOAuth2):
        DEFAULT_SCOPE = ("read", "profile")
        SCOPE_PARAMETER_NAME = "permissions"
        SCOPE_SEPARATOR = ","

    backend = Scoped(Strategy(settings={"SCOPE": "profile write"}))
    assert backend.get_scope() == ["read", "profile", "write"]
    assert backend.get_scope_argument() == {"permissions": "read,profile,write"}
    assert Scoped(Strategy(settings={"IGNORE_DEFAULT_SCOPE": True})).get_scope_argument() == {}
