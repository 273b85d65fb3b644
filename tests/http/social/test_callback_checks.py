"""The provider's redirect back is accepted once, in the browser that started the sign-in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.http.social.conftest import (
    CALLBACK,
    Upstream,
    local_usernames,
    state_cookie,
    through_upstream,
)
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


async def _callback(browser: httpx.AsyncClient, upstream: Upstream) -> str:
    await upstream.person("uma")
    return await through_upstream(browser, await browser.get("/login/stint/"), "uma")


def _with(callback: str, **changes: str | None) -> str:
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    params.update({k: v for k, v in changes.items() if v is not None})
    for name in [k for k, v in changes.items() if v is None]:
        params.pop(name, None)
    return f"{CALLBACK}?{urlencode(params)}"


async def _refused(app: Starlette, answer: httpx.Response, why: str) -> None:
    assert answer.status_code == 400, answer.text
    assert why in text_of(answer)
    assert "set-cookie" not in answer.headers or "stint_session" not in answer.headers["set-cookie"]
    assert await local_usernames(app) == []


async def test_a_callback_without_state_is_refused(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    callback = await _callback(browser, upstream)
    answer = await browser.get(_with(callback, state=None))
    await _refused(app, answer, "has no state")


async def test_a_callback_with_another_state_is_refused(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    callback = await _callback(browser, upstream)
    answer = await browser.get(_with(callback, state="x" * 43))
    await _refused(app, answer, "not started in this browser")


async def test_a_callback_in_a_browser_that_did_not_start_it_is_refused(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient, new_browser: object
) -> None:
    callback = await _callback(browser, upstream)
    async with new_browser() as victim:  # type: ignore[operator]
        # Login CSRF: an attacker's own callback URL, opened in someone else's browser.
        await _refused(app, await victim.get(callback), "not started in this browser")
    assert (await browser.get(callback)).status_code == 303  # still good where it started


async def test_a_replayed_callback_is_refused_even_with_the_state_cookie_back(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    callback = await _callback(browser, upstream)
    bound = state_cookie(browser)
    assert bound
    assert (await browser.get(callback)).status_code == 303
    # The binding ends with the sign-in.
    assert state_cookie(browser) is None
    browser.cookies.set("stint_social", bound, domain="testserver.local")
    replayed = await browser.get(callback)
    assert replayed.status_code == 400
    assert "already used or has expired" in text_of(replayed)
    assert len(await local_usernames(app)) == 1
