"""Mix-up (RFC 9700 §4.4): an answer is completed only at the provider its sign-in started at,
and only when it names that provider as its issuer (RFC 9207; the upstream Stint sends ``iss``
and advertises it)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings, SocialProviderSettings
from tests.http.social.conftest import (
    CALLBACK,
    DOWNSTREAM,
    UPSTREAM,
    Upstream,
    local_usernames,
    through_upstream,
)
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings, upstream: Upstream) -> Settings:
    # A second provider the same client could sign in through, were the answer not checked.
    other = SocialProviderSettings(
        backend="oidc",
        client_id=upstream.client_id,
        client_secret=upstream.client_secret,
        issuer=UPSTREAM,
        label="Other",
    )
    return settings.model_copy(update={"social": {**settings.social, "other": other}})


async def _callback(browser: httpx.AsyncClient, upstream: Upstream) -> dict[str, str]:
    await upstream.person("uma")
    callback = await through_upstream(browser, await browser.get("/login/stint/"), "uma")
    return {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}


async def _refused(app: Starlette, answer: httpx.Response, why: str) -> None:
    assert answer.status_code == 400, answer.text
    assert why in text_of(answer)
    assert "stint_session" not in answer.headers.get("set-cookie", "")
    assert await local_usernames(app) == []


async def test_the_upstream_names_itself_in_its_answer(
    browser: httpx.AsyncClient, upstream: Upstream
) -> None:
    assert (await _callback(browser, upstream))["iss"] == UPSTREAM


async def test_an_answer_completed_at_another_providers_callback_is_refused(
    app: Starlette, browser: httpx.AsyncClient, upstream: Upstream
) -> None:
    params = await _callback(browser, upstream)
    answer = await browser.get(f"{DOWNSTREAM}/complete/other/?{urlencode(params)}")
    await _refused(app, answer, "started at another provider")


async def test_an_answer_naming_another_issuer_is_refused(
    app: Starlette, browser: httpx.AsyncClient, upstream: Upstream
) -> None:
    params = await _callback(browser, upstream)
    answer = await browser.get(f"{CALLBACK}?{urlencode({**params, 'iss': 'https://evil.test'})}")
    await _refused(app, answer, "comes from another provider")


async def test_an_answer_without_iss_from_a_provider_that_advertises_it_is_refused(
    app: Starlette, browser: httpx.AsyncClient, upstream: Upstream
) -> None:
    params = await _callback(browser, upstream)
    params.pop("iss")
    answer = await browser.get(f"{CALLBACK}?{urlencode(params)}")
    await _refused(app, answer, "may come from another provider")
