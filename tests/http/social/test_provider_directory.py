"""Which providers a request sees: stint.toml's, then the database's, re-read every few seconds."""

from __future__ import annotations

import pytest

from stint.connectors.config import ProviderConfig
from stint.web.social.providers import ProviderDirectory, label_of

pytestmark = pytest.mark.anyio


class Added:
    """The providers `stint social add` put in the database, counting the reads."""

    def __init__(self) -> None:
        self.providers: list[ProviderConfig] = []
        self.reads = 0

    async def list_all(self) -> list[ProviderConfig]:
        self.reads += 1
        return list(self.providers)


async def test_a_provider_added_or_removed_at_run_time_shows_within_the_cache_time() -> None:
    now = [0.0]
    store = Added()
    directory = ProviderDirectory({}, store, cache_seconds=5, clock=lambda: now[0])
    assert await directory.get("company") is None
    store.providers.append(ProviderConfig(name="company", backend="oidc", client_id="x"))
    now[0] = 4.9
    assert await directory.get("company") is None  # still the copy read at 0
    now[0] = 5.0
    assert await directory.get("company") is not None
    store.providers.clear()
    now[0] = 10.0
    assert [p.name for p in await directory.all()] == []
    assert store.reads == 3


async def test_stint_toml_wins_over_a_provider_of_the_same_name_in_the_database() -> None:
    store = Added()
    store.providers.append(ProviderConfig(name="github", backend="github", client_id="db"))
    configured = {"github": ProviderConfig(name="github", backend="github", client_id="toml")}
    directory = ProviderDirectory(configured, store)
    found = await directory.get("github")
    assert found is not None and found.client_id == "toml"
    assert [p.client_id for p in await directory.all()] == ["toml"]


def test_labels_default_to_names_people_recognise() -> None:
    def label(name: str, given: str = "") -> str:
        return label_of(ProviderConfig(name=name, backend="oidc", client_id="x", label=given))

    assert label("github") == "GitHub"
    assert label("google") == "Google"
    assert label("company-sso") == "Company Sso"
    assert label("company", "Company SSO") == "Company SSO"
