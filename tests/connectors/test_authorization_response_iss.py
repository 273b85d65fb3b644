"""RFC 9207: the ``iss`` parameter of the authorization response, against mix-up (RFC 9700 §4.4).

A provider that advertises ``authorization_response_iss_parameter_supported`` names itself in
its redirect back; an answer naming another issuer, or (from such a provider) none, is refused
before its code is redeemed anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stint.connectors.exceptions import AuthFailed
from stint.connectors.open_id_connect import OpenIdConnectAuth
from stint.connectors.providers.microsoft import MicrosoftOpenIdConnect
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.microsoft import MICROSOFT_PERSON, FakeMicrosoft
from tests.support.upstreams.oidc_provider import FakeOpenIdProvider, serving
from tests.support.upstreams.sign_in import begin, isolated

pytestmark = pytest.mark.anyio

CLIENT_ID = "stint-at-upstream"
CLIENT_SECRET = "an-upstream-client-secret-of-32-bytes-or-more"
PERSON = {"sub": "248289761001", "email": "ann@example.org", "email_verified": True}


class _AdvertisingProvider(FakeOpenIdProvider):
    """Says in its metadata that its authorization responses carry ``iss`` (RFC 9207 §3)."""

    advertises_iss: bool = True

    def discovery_document(self) -> dict[str, Any]:
        document = super().discovery_document()
        if self.advertises_iss:
            document["authorization_response_iss_parameter_supported"] = True
        return document


@pytest.fixture(scope="module")
def provider() -> Iterator[_AdvertisingProvider]:
    fake = _AdvertisingProvider(CLIENT_ID, CLIENT_SECRET, dict(PERSON), issuer_path="/realm")
    with serving(fake):
        yield fake


@pytest.fixture(autouse=True)
def advertising(provider: _AdvertisingProvider) -> None:
    provider.reset()
    provider.advertises_iss = True


def _settings(provider: FakeOpenIdProvider) -> dict[str, Any]:
    return {"KEY": CLIENT_ID, "SECRET": CLIENT_SECRET, "OIDC_ENDPOINT": provider.issuer}


async def test_an_answer_naming_its_own_issuer_signs_in(
    provider: _AdvertisingProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(isolated(OpenIdConnectAuth), _settings(provider), transport)
    identity = await attempt.complete(iss=provider.issuer)
    assert identity.uid == PERSON["sub"]


async def test_an_answer_naming_another_issuer_is_refused_before_the_code_is_redeemed(
    provider: _AdvertisingProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(isolated(OpenIdConnectAuth), _settings(provider), transport)
    before = len(provider.token_requests)
    with pytest.raises(AuthFailed, match="another provider"):
        await attempt.complete(iss="https://attacker.example")
    assert len(provider.token_requests) == before  # the code went nowhere


async def test_an_answer_without_iss_from_a_provider_that_advertises_it_is_refused(
    provider: _AdvertisingProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(isolated(OpenIdConnectAuth), _settings(provider), transport)
    before = len(provider.token_requests)
    with pytest.raises(AuthFailed, match="another provider"):
        await attempt.complete()
    assert len(provider.token_requests) == before


async def test_a_wrong_iss_is_refused_even_from_a_provider_that_does_not_advertise_it(
    provider: _AdvertisingProvider, transport: UpstreamTransport
) -> None:
    provider.advertises_iss = False
    attempt = await begin(isolated(OpenIdConnectAuth), _settings(provider), transport)
    with pytest.raises(AuthFailed, match="another provider"):
        await attempt.complete(iss="https://attacker.example")
    # And without iss, as before RFC 9207, it signs in.
    attempt = await begin(isolated(OpenIdConnectAuth), _settings(provider), transport)
    assert (await attempt.complete()).uid == PERSON["sub"]


async def test_an_error_answer_naming_another_issuer_is_not_taken_as_this_providers(
    provider: _AdvertisingProvider, transport: UpstreamTransport
) -> None:
    attempt = await begin(isolated(OpenIdConnectAuth), _settings(provider), transport)
    # RFC 9207 §2.4: an error response is not assumed to come from the intended provider.
    with pytest.raises(AuthFailed, match="another provider"):
        await attempt.complete(error="access_denied", iss="https://attacker.example")


async def test_a_microsoft_multi_tenant_answer_may_name_the_persons_tenant_only(
    transport: UpstreamTransport,
) -> None:
    client_id = "6731de76-14a6-49ae-97bc-6eba6914391e"
    with serving(FakeMicrosoft(client_id, CLIENT_SECRET, dict(MICROSOFT_PERSON))) as fake:
        settings = {
            "KEY": client_id,
            "SECRET": CLIENT_SECRET,
            "OIDC_ENDPOINT": f"{fake.base_url}/common/v2.0",
        }
        backend = isolated(MicrosoftOpenIdConnect)
        tenant_issuer = f"{fake.base_url}/{MICROSOFT_PERSON['tid']}/v2.0"
        attempt = await begin(backend, settings, transport)
        assert (await attempt.complete(iss=tenant_issuer)).uid.startswith(MICROSOFT_PERSON["tid"])
        for forged in (f"{fake.base_url}/not-a-tenant/v2.0", "https://evil.test/x/v2.0"):
            attempt = await begin(backend, settings, transport)
            with pytest.raises(AuthFailed, match="another provider"):
                await attempt.complete(iss=forged)
