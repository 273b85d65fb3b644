"""OpenIdConnectAuth against a real (fake) OpenID provider on loopback: discovery, nonce, PKCE,
ID token validation (OIDC Core §3.1.3.7), key rotation, userinfo, and the provider failing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
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
from stint.connectors.open_id_connect import OpenIdConnectAuth
from stint.outbound.transport import UpstreamTransport
from tests.support.clock import Clock
from tests.support.upstreams.oidc_provider import FakeOpenIdProvider, serving
from tests.support.upstreams.sign_in import begin, isolated

pytestmark = pytest.mark.anyio

CLIENT_ID = "stint-at-upstream"
CLIENT_SECRET = "an-upstream-client-secret-of-32-bytes-or-more"
PERSON = {
    "sub": "248289761001",
    "email": "ann@example.org",
    "email_verified": True,
    "name": "Ann Example",
    "given_name": "Ann",
    "family_name": "Example",
    "preferred_username": "ann",
}


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeOpenIdProvider]:
    fake = FakeOpenIdProvider(CLIENT_ID, CLIENT_SECRET, dict(PERSON), issuer_path="/realm")
    with serving(fake):
        yield fake


@pytest.fixture(autouse=True)
def behaving(provider: FakeOpenIdProvider) -> None:
    provider.reset()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def backend(clock: Clock) -> type[OpenIdConnectAuth]:
    return isolated(OpenIdConnectAuth, clock.timestamp)


def settings(provider: FakeOpenIdProvider, **more: Any) -> dict[str, Any]:
    return {"KEY": CLIENT_ID, "SECRET": CLIENT_SECRET, "OIDC_ENDPOINT": provider.issuer, **more}


async def sign_in(
    backend: type[OpenIdConnectAuth],
    provider: FakeOpenIdProvider,
    transport: UpstreamTransport,
    **more: Any,
) -> Any:
    attempt = await begin(backend, settings(provider, **more), transport)
    return await attempt.complete()


async def test_signs_in_as_the_sub_with_details_from_the_id_token_and_userinfo(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    identity = await sign_in(backend, provider, transport)
    assert identity.uid == "248289761001"
    assert identity.details == {
        "username": "ann",
        "email": "ann@example.org",
        "fullname": "Ann Example",
        "first_name": "Ann",
        "last_name": "Example",
    }
    assert identity.email_verified is True
    assert set(identity.tokens) >= {"access_token", "id_token", "token_type", "expires_in"}


async def test_the_authorization_request_carries_state_nonce_scope_and_an_s256_challenge(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(backend, settings(provider, SCOPE=["groups", "email"]), transport)
    url = urlsplit(attempt.authorize_url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.issuer}/authorize"
    assert query["state"] == attempt.state
    assert query["nonce"] == attempt.session["nonce"]
    assert query["scope"] == "openid email profile groups"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] != attempt.session["code_verifier"]
    assert query["response_type"] == "code"


async def test_the_provider_checks_the_pkce_verifier(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(backend, settings(provider), transport)
    attempt.session["code_verifier"] = "a-verifier-of-another-sign-in-" + "x" * 20
    with pytest.raises(AuthTokenError, match="invalid_grant"):
        await attempt.complete()


async def test_a_code_is_redeemed_once(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(backend, settings(provider), transport)
    await attempt.complete()
    with pytest.raises(AuthTokenError):
        await attempt.complete()


async def test_a_callback_without_state_is_refused(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.drop_state = True
    attempt = await begin(backend, settings(provider), transport)
    before = len(provider.token_requests)
    with pytest.raises(AuthStateMissing):
        await attempt.complete()
    assert len(provider.token_requests) == before


async def test_a_callback_with_another_state_is_refused_before_the_code_is_redeemed(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(backend, settings(provider), transport)
    before = len(provider.token_requests)
    with pytest.raises(AuthStateForbidden):
        await attempt.complete(state="the-state-of-an-attackers-sign-in")
    assert len(provider.token_requests) == before


async def test_declining_at_the_provider_is_a_cancelled_sign_in(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.deny = True
    attempt = await begin(backend, settings(provider), transport)
    assert attempt.callback["error"] == "access_denied"
    with pytest.raises(AuthCanceled):
        await attempt.complete()


@pytest.mark.parametrize(
    ("switch", "value", "reason"),
    [
        ("aud", "another-client", "aud does not contain our client_id"),
        ("aud", [CLIENT_ID, "another-client"], "several audiences and no azp"),
        ("azp", "another-client", "azp is not our client_id"),
        ("nonce", "the-nonce-of-another-sign-in", "nonce is not this sign-in's"),
        ("bad_signature", True, "signature does not verify"),
        # HS256 keyed with our own client secret, even where the provider lists it: never.
        ("sign_with_client_secret", True, "alg 'HS256' is not one of ['RS256']"),
        ("expires_in", -3600, "expired"),
        ("iat_offset", 3600, "iat missing or in the future"),
        ("iss", "https://evil.example", "iss is not the provider's issuer"),
        ("at_hash", "x4Q8HQk2BD7TCHSPDWdAWg", "at_hash does not match"),
    ],
)
async def test_an_id_token_that_breaks_a_rule_is_refused(
    backend: type[OpenIdConnectAuth],
    provider: FakeOpenIdProvider,
    transport: UpstreamTransport,
    caplog: pytest.LogCaptureFixture,
    switch: str,
    value: Any,
    reason: str,
) -> None:
    provider.misbehave.advertised_algs = ["RS256", "HS256"]
    setattr(provider.misbehave, switch, value)
    with (
        caplog.at_level(logging.INFO, logger="stint.connectors"),
        pytest.raises(AuthFailed, match="ID token was not accepted"),
    ):
        await sign_in(backend, provider, transport)
    assert reason in caplog.text


async def test_several_audiences_are_accepted_when_azp_names_us(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.aud = [CLIENT_ID, "https://api.example"]
    provider.misbehave.azp = CLIENT_ID
    assert (await sign_in(backend, provider, transport)).uid == PERSON["sub"]


async def test_rotated_keys_are_fetched_and_made_up_kids_refetch_at_most_once_a_minute(
    backend: type[OpenIdConnectAuth],
    provider: FakeOpenIdProvider,
    transport: UpstreamTransport,
    clock: Clock,
) -> None:
    await sign_in(backend, provider, transport)
    fetched = provider.jwks_fetches
    provider.rotate_keys()
    clock.advance(61)
    await sign_in(backend, provider, transport)  # an unknown kid: the new key is fetched
    assert provider.jwks_fetches == fetched + 1
    provider.misbehave.kid = "a-kid-nobody-published"
    for _ in range(2):  # within the minute: refused without asking the provider again
        with pytest.raises(AuthFailed):
            await sign_in(backend, provider, transport)
    assert provider.jwks_fetches == fetched + 1
    clock.advance(61)
    with pytest.raises(AuthFailed):
        await sign_in(backend, provider, transport)
    assert provider.jwks_fetches == fetched + 2


async def test_userinfo_about_another_person_is_refused(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.userinfo_sub = "someone-else"
    with pytest.raises(AuthFailed, match="another person"):
        await sign_in(backend, provider, transport)


@pytest.mark.parametrize("asserted", ["true", 1, None])
async def test_an_email_is_verified_only_by_an_explicit_true(
    backend: type[OpenIdConnectAuth],
    provider: FakeOpenIdProvider,
    transport: UpstreamTransport,
    asserted: Any,
) -> None:
    provider.person["email_verified"] = asserted
    assert (await sign_in(backend, provider, transport)).email_verified is False


async def test_the_client_authenticates_as_the_operator_configured(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    await sign_in(backend, provider, transport)  # OIDC's default method: client_secret_basic
    assert "client_secret" not in provider.token_requests[-1]
    await sign_in(backend, provider, transport, TOKEN_ENDPOINT_AUTH_METHOD="client_secret_post")
    assert provider.token_requests[-1]["client_secret"] == CLIENT_SECRET


async def test_a_provider_that_offers_only_client_secret_post_gets_it(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.auth_method = "client_secret_post"
    try:
        assert (await sign_in(backend, provider, transport)).uid == PERSON["sub"]
    finally:
        provider.auth_method = None


async def test_a_token_endpoint_answering_500_is_unreachable(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.token_status = 500
    with pytest.raises(AuthUnreachable):
        await sign_in(backend, provider, transport)


async def test_a_token_endpoint_that_does_not_answer_times_out(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(backend, settings(provider), transport, timeout_seconds=0.2)
    provider.misbehave.hold_token = True
    with pytest.raises(AuthUnreachable):
        await attempt.complete()


async def test_a_discovery_answering_500_is_unreachable(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    provider.misbehave.discovery_status = 500
    with pytest.raises(AuthUnreachable):
        await begin(backend, settings(provider), transport)


async def test_a_discovery_document_naming_another_issuer_is_refused(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    with pytest.raises(AuthFailed, match="configuration is not usable"):
        await begin(backend, settings(provider, OIDC_ENDPOINT=provider.issuer + "/"), transport)


async def test_the_discovery_document_is_fetched_once_per_process(
    backend: type[OpenIdConnectAuth], provider: FakeOpenIdProvider, transport: UpstreamTransport
) -> None:
    before = provider.discovery_fetches
    for _ in range(2):
        await sign_in(backend, provider, transport)
    assert provider.discovery_fetches == before + 1


async def test_the_discovery_document_is_fetched_again_after_an_hour(
    provider: FakeOpenIdProvider, transport: UpstreamTransport, clock: Clock
) -> None:
    backend = isolated(OpenIdConnectAuth, clock.timestamp)
    before = provider.discovery_fetches
    await sign_in(backend, provider, transport)
    clock.advance(3599)
    await sign_in(backend, provider, transport)
    assert provider.discovery_fetches == before + 1
    clock.advance(2)
    await sign_in(backend, provider, transport)
    assert provider.discovery_fetches == before + 2
