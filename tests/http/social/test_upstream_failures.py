"""A provider that breaks mid-sign-in: a clear page, and nothing half-created."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.http.social.conftest import Upstream, local_usernames, state_cookie, through_upstream
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


async def test_a_token_endpoint_answering_500_is_a_clear_page_and_creates_nothing(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    await upstream.person("uma")
    callback = await through_upstream(browser, await browser.get("/login/stint/"), "uma")
    upstream.failing.add("/o/token/")
    answer = await browser.get(callback)
    assert answer.status_code == 502
    assert "could not be reached" in text_of(answer)
    assert await local_usernames(app) == []
    assert (await browser.get("/account")).status_code == 303  # not signed in


async def test_a_provider_whose_discovery_fails_does_not_start_a_sign_in(
    upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    upstream.failing.add("/.well-known/openid-configuration")
    answer = await browser.get("/login/stint/")
    assert answer.status_code == 502
    assert "could not be reached" in text_of(answer)
    assert state_cookie(browser) is None
