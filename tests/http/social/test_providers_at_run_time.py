"""Providers an operator adds with `stint social add` (kept in the database, secret sealed) are
offered without a restart; a deployment with none looks as it did before social login."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from stint.connectors.config import ProviderConfig
from stint.settings import Settings
from stint.storage.upstream_provider_store import SqlUpstreamProviderStore
from tests.conftest import make_client
from tests.http.social.conftest import DOWNSTREAM, UPSTREAM, Upstream, through_upstream
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


async def test_a_provider_added_at_run_time_signs_people_in(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    callback = f"{DOWNSTREAM}/complete/company/"
    # Registered for client_secret_post at the provider; the operator's option says so.
    client_id, secret = await make_client(
        upstream.app,
        name="Stint, as Company SSO",
        redirect_uris=[callback],
        scopes=["profile"],
        grant_types=["authorization_code"],
        token_endpoint_auth_method="client_secret_post",
    )
    runtime = app.state.runtime
    await SqlUpstreamProviderStore(runtime.db, runtime.secret).add(
        ProviderConfig(
            name="company",
            backend="oidc",
            client_id=client_id,
            client_secret=secret or "",
            issuer=UPSTREAM,
            label="Company SSO",
            options={"TOKEN_ENDPOINT_AUTH_METHOD": "client_secret_post"},
        )
    )
    page = await browser.get("/login")
    assert "Continue with Company SSO" in text_of(page)
    await upstream.person("uma")
    started = await browser.get("/login/company/")
    done = await browser.get(await through_upstream(browser, started, "uma", callback_uri=callback))
    assert done.status_code == 303, done.text
    assert 'data-provider="company"' in (await browser.get("/account")).text


class TestWithoutProviders:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"social": {}})

    async def test_the_sign_in_page_offers_no_provider_and_their_urls_are_404_pages(
        self, browser: httpx.AsyncClient
    ) -> None:
        page = await browser.get("/login")
        assert page.status_code == 200
        assert "Continue with" not in text_of(page)
        answer = await browser.get("/login/stint/")
        assert answer.status_code == 404
        assert "No such sign-in provider" in text_of(answer)
