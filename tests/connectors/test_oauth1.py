"""OAuth 1.0a (``BaseOAuth1``, the built-in ``oauth1``) against a provider made of oauthlib's
server classes (RFC 5849)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.connectors.exceptions import (
    AuthCanceled,
    AuthFailed,
    AuthStateForbidden,
    AuthStateMissing,
    AuthTokenError,
    AuthUnreachable,
)
from stint.connectors.oauth1 import BaseOAuth1, ConsumerBasedOAuth
from stint.connectors.providers.generic_oauth1 import GenericOAuth1
from stint.connectors.registry import backend_class
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.oauth1_provider import FakeOAuth1Provider, OAuth1Account
from tests.support.upstreams.server import serve_fake
from tests.support.upstreams.sign_in import SignIn

pytestmark = pytest.mark.anyio

CALLBACK = "http://127.0.0.1:9/complete/tripit/"


@pytest.fixture(scope="module")
def served() -> Iterator[Callable[[], FakeOAuth1Provider]]:
    def make(url: str) -> FakeOAuth1Provider:
        return FakeOAuth1Provider(url=url, callback=CALLBACK)

    with serve_fake(make, lambda fake: fake, wsgi=True) as fresh:
        yield fresh


@pytest.fixture
def provider(served: Callable[[], FakeOAuth1Provider]) -> FakeOAuth1Provider:
    """The served provider, fresh for each test: one person, no tokens."""
    return served()


def settings(provider: FakeOAuth1Provider, **more: Any) -> dict[str, Any]:
    return {
        "KEY": provider.client_key,
        "SECRET": provider.client_secret,
        "REQUEST_TOKEN_URL": f"{provider.url}/oauth/request_token",
        "AUTHORIZATION_URL": f"{provider.url}/oauth/authorize",
        "ACCESS_TOKEN_URL": f"{provider.url}/oauth/access_token",
        "USER_DATA_URL": f"{provider.url}/account",
        **more,
    }


def sign_in(provider: FakeOAuth1Provider, transport: UpstreamTransport, **more: Any) -> SignIn:
    return SignIn(GenericOAuth1, settings(provider, **more), transport, redirect_uri=CALLBACK)


async def test_the_full_dance_signs_the_person_in(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    identity = await sign_in(provider, transport).run()

    assert identity.uid == "1001"
    assert identity.details["username"] == "tripper"
    assert identity.details["fullname"] == "Trip Per"
    assert identity.email_verified is False  # OAuth 1.0a asserts nothing about the address
    assert set(identity.tokens) == {"oauth_token", "oauth_token_secret"}
    assert "oauth_token_secret" not in identity.response
    assert provider.seen == [
        ("POST", "/oauth/request_token"),
        ("GET", "/oauth/authorize"),
        ("POST", "/oauth/access_token"),
        ("GET", "/account"),
    ]


async def test_our_state_travels_in_the_callback_and_the_request_token_in_the_session(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    attempt = sign_in(provider, transport)

    url = urlsplit(await attempt.start())

    [request_token] = parse_qs(url.query)["oauth_token"]
    assert attempt.session["oauth1_request_token"]["oauth_token"] == request_token
    held = provider.records.request_tokens[request_token]
    assert parse_qs(urlsplit(held.callback).query) == {"redirect_state": [attempt.state]}


async def test_id_key_picks_the_stable_field(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    provider.account = OAuth1Account(id="1001", screen_name="renamed")

    identity = await sign_in(provider, transport, ID_KEY="screen_name").run()

    assert identity.uid == "renamed"


async def test_without_user_data_url_the_token_answer_says_who_it_is(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    identity = await sign_in(provider, transport, USER_DATA_URL="", ID_KEY="user_id").run()

    assert identity.uid == "1001"
    assert identity.details["username"] == "tripper"
    assert ("GET", "/account") not in provider.seen


async def test_a_tampered_verifier_is_refused(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    attempt = sign_in(provider, transport)
    callback = await attempt.visit(await attempt.start())

    with pytest.raises(AuthTokenError):
        await attempt.complete({**callback, "oauth_verifier": "x" * 20})
    assert provider.records.access_tokens == {}


async def test_a_replayed_request_token_is_refused(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    attempt = sign_in(provider, transport)
    await attempt.start()
    stored = dict(attempt.session["oauth1_request_token"])
    callback = await attempt.visit(
        f"{provider.url}/oauth/authorize?oauth_token={stored['oauth_token']}"
    )
    await attempt.complete(callback)

    # The same callback again, even with the request token put back in the session: the
    # provider exchanged it once (RFC 5849 §2.3) and refuses it now.
    attempt.session["oauth1_request_token"] = stored
    with pytest.raises(AuthTokenError):
        await attempt.complete(callback)


async def test_a_callback_is_good_once_per_session(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    attempt = sign_in(provider, transport)
    callback = await attempt.visit(await attempt.start())
    await attempt.complete(callback)

    with pytest.raises(AuthStateMissing):
        await attempt.complete(callback)


async def test_a_callback_naming_another_request_token_is_refused(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    mine, theirs = sign_in(provider, transport), sign_in(provider, transport)
    await mine.start()
    their_callback = await theirs.visit(await theirs.start())

    with pytest.raises(AuthTokenError, match="another sign-in"):
        await mine.complete({**their_callback, "redirect_state": mine.state})
    assert provider.records.access_tokens == {}


async def test_a_wrong_redirect_state_is_refused(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    attempt = sign_in(provider, transport)
    callback = await attempt.visit(await attempt.start())

    with pytest.raises(AuthStateForbidden):
        await attempt.complete({**callback, "redirect_state": "forged"})
    with pytest.raises(AuthStateMissing):
        await attempt.complete({k: v for k, v in callback.items() if k != "redirect_state"})


async def test_a_wrong_consumer_secret_is_refused_at_the_first_step(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    with pytest.raises(AuthTokenError):
        await sign_in(provider, transport, SECRET="not-the-secret").start()


async def test_a_person_who_denies_cancels_the_sign_in(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    provider.deny = True
    attempt = sign_in(provider, transport)

    with pytest.raises(AuthCanceled):
        await attempt.complete(await attempt.visit(await attempt.start()))


async def test_an_unreachable_provider_is_unreachable(transport: UpstreamTransport) -> None:
    attempt = SignIn(
        GenericOAuth1,
        {
            "KEY": "k" * 20,
            "SECRET": "s",
            "REQUEST_TOKEN_URL": "http://127.0.0.1:9/oauth/request_token",  # discard: refused
            "AUTHORIZATION_URL": "http://127.0.0.1:9/oauth/authorize",
        },
        transport,
        redirect_uri=CALLBACK,
    )

    with pytest.raises(AuthUnreachable):
        await attempt.start()


async def test_signed_requests_work_from_a_plain_user_data(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    class TripIt(ConsumerBasedOAuth):
        """python-social-auth's OAuth1 example's shape: oauth_request + fetch_response."""

        name = "tripit"
        REQUEST_TOKEN_URL = f"{provider.url}/oauth/request_token"
        AUTHORIZATION_URL = f"{provider.url}/oauth/authorize"
        ACCESS_TOKEN_URL = f"{provider.url}/oauth/access_token"
        EXTRA_DATA = [("screen_name", "screen_name")]  # noqa: RUF012

        def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
            return {
                "username": response["screen_name"],
                "email": response["email"],
                "fullname": response["name"],
            }

        def user_data(self, access_token: Any, *args: Any, **kwargs: Any) -> Any:
            request = self.oauth_request(access_token, f"{provider.url}/account")
            import json

            return json.loads(self.fetch_response(request))

    keys = {"KEY": provider.client_key, "SECRET": provider.client_secret}
    identity = await SignIn(TripIt, keys, transport, redirect_uri=CALLBACK).run()

    assert identity.uid == "1001"
    assert identity.extra_data == {"screen_name": "tripper"}


async def test_an_unsigned_request_for_the_account_is_refused(
    provider: FakeOAuth1Provider, transport: UpstreamTransport
) -> None:
    backend = sign_in(provider, transport).backend()

    with pytest.raises(AuthFailed, match="401"):
        await backend.aoauth_request(  # type: ignore[attr-defined]
            {"oauth_token": "a" * 24, "oauth_token_secret": "b"}, f"{provider.url}/account"
        )


def test_the_registry_names_it_oauth1() -> None:
    assert backend_class("oauth1") is GenericOAuth1
    assert issubclass(GenericOAuth1, BaseOAuth1)
