"""MicrosoftOpenIdConnect against a server that answers as the Microsoft identity platform
documents: the person is tid + oid, and a multi-tenant ID token's iss must be its own tenant's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stint.connectors.exceptions import AuthFailed
from stint.connectors.providers.microsoft import MicrosoftOpenIdConnect
from stint.connectors.strategy import Strategy
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.microsoft import (
    MICROSOFT_PERSON,
    PERSONAL_ACCOUNTS_TENANT,
    FakeMicrosoft,
)
from tests.support.upstreams.oidc_provider import serving
from tests.support.upstreams.sign_in import begin, isolated

pytestmark = pytest.mark.anyio

CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
CLIENT_SECRET = "an-upstream-client-secret-of-32-bytes-or-more"
TID, OID = MICROSOFT_PERSON["tid"], MICROSOFT_PERSON["oid"]
OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@pytest.fixture(scope="module")
def microsoft() -> Iterator[FakeMicrosoft]:
    with serving(FakeMicrosoft(CLIENT_ID, CLIENT_SECRET, dict(MICROSOFT_PERSON))) as fake:
        yield fake


@pytest.fixture(autouse=True)
def behaving(microsoft: FakeMicrosoft) -> None:
    microsoft.reset()


async def sign_in(
    microsoft: FakeMicrosoft, transport: UpstreamTransport, tenant: str = "common"
) -> Any:
    settings = {
        "KEY": CLIENT_ID,
        "SECRET": CLIENT_SECRET,
        "OIDC_ENDPOINT": f"{microsoft.base_url}/{tenant}/v2.0",
    }
    attempt = await begin(isolated(MicrosoftOpenIdConnect), settings, transport)
    return await attempt.complete()


def test_the_authority_is_common_unless_a_tenant_is_set() -> None:
    assert (
        MicrosoftOpenIdConnect(Strategy()).oidc_endpoint()
        == "https://login.microsoftonline.com/common/v2.0"
    )
    assert MicrosoftOpenIdConnect(Strategy(settings={"TENANT": TID})).oidc_endpoint() == (
        f"https://login.microsoftonline.com/{TID}/v2.0"
    )


async def test_signs_in_as_tenant_and_object_id_never_the_email(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    identity = await sign_in(microsoft, transport)
    assert identity.uid == f"{TID}:{OID}"
    assert identity.details["email"] == "ann@contoso.com"
    assert identity.details["username"] == "ann@contoso.onmicrosoft.com"
    assert identity.email_verified is False  # Microsoft does not vouch for the email claim


async def test_a_changed_email_and_username_are_still_the_same_person(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    first = await sign_in(microsoft, transport)
    microsoft.person.update(email="bob@contoso.com", preferred_username="bob@contoso.com")
    assert (await sign_in(microsoft, transport)).uid == first.uid


async def test_the_same_object_id_in_another_tenant_is_another_person(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    microsoft.person["tid"] = OTHER_TENANT
    assert (await sign_in(microsoft, transport)).uid == f"{OTHER_TENANT}:{OID}"


async def test_a_multi_tenant_id_token_whose_iss_is_another_tenants_is_refused(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    microsoft.misbehave.iss = f"{microsoft.base_url}/{OTHER_TENANT}/v2.0"
    with pytest.raises(AuthFailed, match="ID token was not accepted"):
        await sign_in(microsoft, transport)


async def test_an_id_token_without_a_tenant_is_refused(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    del microsoft.person["tid"]
    microsoft.misbehave.iss = f"{microsoft.base_url}/{TID}/v2.0"
    with pytest.raises(AuthFailed):
        await sign_in(microsoft, transport)


async def test_a_single_tenant_authority_takes_its_own_tenants_people(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    assert (await sign_in(microsoft, transport, tenant=TID)).uid == f"{TID}:{OID}"


async def test_a_single_tenant_authority_refuses_another_tenants_people(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    microsoft.person["tid"] = OTHER_TENANT
    with pytest.raises(AuthFailed, match="ID token was not accepted"):
        await sign_in(microsoft, transport, tenant=TID)


async def test_the_consumers_authority_takes_personal_accounts(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    microsoft.person["tid"] = PERSONAL_ACCOUNTS_TENANT
    identity = await sign_in(microsoft, transport, tenant="consumers")
    assert identity.uid == f"{PERSONAL_ACCOUNTS_TENANT}:{OID}"


async def test_the_consumers_authority_refuses_work_accounts(
    microsoft: FakeMicrosoft, transport: UpstreamTransport
) -> None:
    with pytest.raises(AuthFailed, match="ID token was not accepted"):
        await sign_in(microsoft, transport, tenant="consumers")
