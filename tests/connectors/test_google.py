"""GoogleOpenIdConnect against a server that answers as Google documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.connectors.exceptions import AuthFailed
from stint.connectors.providers.google import GoogleOpenIdConnect
from stint.connectors.strategy import Strategy
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.google import GOOGLE_PERSON, FakeGoogle
from tests.support.upstreams.oidc_provider import serving
from tests.support.upstreams.sign_in import begin, isolated

pytestmark = pytest.mark.anyio

CLIENT_ID = "1234567890-abc.apps.googleusercontent.com"
CLIENT_SECRET = "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-32-bytes"


@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogle]:
    with serving(FakeGoogle(CLIENT_ID, CLIENT_SECRET, dict(GOOGLE_PERSON))) as fake:
        yield fake


@pytest.fixture(autouse=True)
def behaving(google: FakeGoogle) -> None:
    google.reset()


def settings(google: FakeGoogle) -> dict[str, Any]:
    return {"KEY": CLIENT_ID, "SECRET": CLIENT_SECRET, "OIDC_ENDPOINT": google.issuer}


async def sign_in(google: FakeGoogle, transport: UpstreamTransport) -> Any:
    attempt = await begin(isolated(GoogleOpenIdConnect), settings(google), transport)
    return await attempt.complete()


def test_the_issuer_is_googles_unless_a_test_points_elsewhere() -> None:
    assert GoogleOpenIdConnect(Strategy()).oidc_endpoint() == "https://accounts.google.com"


async def test_signs_in_as_the_google_account_id_with_its_verified_address(
    google: FakeGoogle, transport: UpstreamTransport
) -> None:
    identity = await sign_in(google, transport)
    assert identity.uid == "110169484474386276334"
    assert identity.details["email"] == "ann.example@gmail.com"
    assert identity.details["username"] == "ann.example"  # Google has no preferred_username
    assert identity.details["fullname"] == "Ann Example"
    assert identity.email_verified is True


async def test_starts_at_googles_authorization_endpoint_with_s256(
    google: FakeGoogle, transport: UpstreamTransport
) -> None:
    attempt = await begin(isolated(GoogleOpenIdConnect), settings(google), transport)
    url = urlsplit(attempt.authorize_url)
    assert url.path == "/o/oauth2/v2/auth"
    query = parse_qs(url.query)
    assert query["code_challenge_method"] == ["S256"]  # Google also offers "plain": never used
    assert query["scope"] == ["openid email profile"]


async def test_an_iss_without_the_scheme_is_googles_too(
    google: FakeGoogle, transport: UpstreamTransport
) -> None:
    google.iss_without_scheme = True
    assert (await sign_in(google, transport)).uid == GOOGLE_PERSON["sub"]


async def test_an_iss_that_only_starts_like_googles_is_refused(
    google: FakeGoogle, transport: UpstreamTransport
) -> None:
    google.misbehave.iss = google.issuer + ".evil.example"
    with pytest.raises(AuthFailed, match="ID token was not accepted"):
        await sign_in(google, transport)


async def test_an_id_token_google_issued_to_another_app_is_refused(
    google: FakeGoogle, transport: UpstreamTransport
) -> None:
    google.misbehave.aud = "another-app.apps.googleusercontent.com"
    google.misbehave.azp = "another-app.apps.googleusercontent.com"
    with pytest.raises(AuthFailed, match="ID token was not accepted"):
        await sign_in(google, transport)
