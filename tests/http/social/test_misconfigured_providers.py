"""A provider this server cannot use (its backend does not import here, its URLs are missing)
ends on a clear page that says so, never a 500, and starts nothing."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from stint.connectors.config import ProviderConfig
from stint.storage.upstream_provider_store import SqlUpstreamProviderStore
from tests.http.social.conftest import state_cookie
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


async def _added(app: Starlette, config: ProviderConfig) -> None:
    runtime = app.state.runtime
    await SqlUpstreamProviderStore(runtime.db, runtime.secret).add(config)


async def test_a_provider_whose_backend_does_not_import_here_is_a_clear_page(
    app: Starlette, browser: httpx.AsyncClient
) -> None:
    # Added with `stint social add` on a host that has stint[social-core]; this one has not.
    await _added(app, ProviderConfig("lost", "social_core.backends.gone.GoneOAuth2", "id"))
    answer = await browser.get("/login/lost/")
    assert answer.status_code == 503, answer.text
    assert "cannot be used" in text_of(answer)
    assert state_cookie(browser) is None


async def test_an_oauth1_provider_without_its_urls_is_a_clear_page(
    app: Starlette, browser: httpx.AsyncClient
) -> None:
    await _added(app, ProviderConfig("tumblr", "oauth1", "id", "secret"))
    answer = await browser.get("/login/tumblr/")
    assert answer.status_code == 400, answer.text
    assert "not fully configured" in text_of(answer)
    assert state_cookie(browser) is None
