"""UpstreamProviderStore contract, on SQLite, PostgreSQL and the in-memory fake: providers added
with `stint social add` read back whole, one per name, their client secret sealed at rest."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stint.connectors.config import ProviderConfig
from stint.connectors.ports import ProviderExistsError
from stint.storage.tables import upstream_providers
from tests.conftest import BACKENDS
from tests.storage.conftest import WITH_MEMORY, SocialStores

pytestmark = pytest.mark.anyio

SECRET = "gh-client-secret-0123456789abcdef"
GITHUB = ProviderConfig("github", "github", "Iv1.8a61f9b3a7aba766", SECRET, label="GitHub")
COMPANY = ProviderConfig(
    "company",
    "oidc",
    "stint",
    "oidc-secret",
    issuer="https://id.example.com",
    scope=("groups", "offline_access"),
    label="Example SSO",
    auto_link_email=True,
    store_tokens=True,
    allow_sign_up=False,
    options={"ID_KEY": "sub", "EXTRA": {"nested": [1, 2]}},
)


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_providers_read_back_whole_and_listed_by_name(social: SocialStores) -> None:
    await social.providers.add(GITHUB)
    await social.providers.add(COMPANY)
    assert await social.providers.get("github") == GITHUB
    assert await social.providers.get("company") == COMPANY
    assert await social.providers.get("gitlab") is None
    assert await social.providers.get("git\x00hub") is None
    assert await social.providers.list_all() == [COMPANY, GITHUB]


async def test_a_listed_providers_repr_shows_no_secret(social: SocialStores) -> None:
    await social.providers.add(GITHUB)
    assert SECRET not in repr(await social.providers.list_all())


async def test_one_provider_per_name_unless_replaced(social: SocialStores) -> None:
    await social.providers.add(GITHUB)
    changed = ProviderConfig("github", "github", "new-id", "new-secret")
    with pytest.raises(ProviderExistsError):
        await social.providers.add(changed)
    assert await social.providers.get("github") == GITHUB
    await social.providers.add(changed, replace=True)
    assert await social.providers.get("github") == changed


async def test_remove_says_whether_there_was_one(social: SocialStores) -> None:
    await social.providers.add(GITHUB)
    assert await social.providers.remove("github")
    assert not await social.providers.remove("github")
    assert await social.providers.list_all() == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_client_secret_is_sealed_at_rest(social: SocialStores) -> None:
    assert social.db is not None
    await social.providers.add(GITHUB)
    async with social.db.read() as conn:
        row = (await conn.execute(select(upstream_providers))).one()
    assert SECRET.encode() not in " ".join(str(v) for v in row).encode()
    assert SECRET.encode() not in bytes(row.sealed_client_secret)
    assert (await social.providers.get("github")) == GITHUB
