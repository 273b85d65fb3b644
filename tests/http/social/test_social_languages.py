"""A social sign-in the connector refuses, on a page in each language: the connector's message
translated, the provider's own words (its error code) shown as they are."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.http.social.conftest import CALLBACK, LABEL, UPSTREAM
from tests.http.test_languages import HTML, assert_translated
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


async def _refused_at_callback(
    browser: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> httpx.Response:
    """A sign-in started here, then the provider's redirect back with ``params`` (and the
    sign-in's state unless ``params`` name it)."""
    started = await browser.get("/login/stint/")
    assert started.status_code in (302, 303, 307), started.text
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    query = {"state": state, **params}
    return await browser.get(
        f"{CALLBACK}?{urlencode({k: v for k, v in query.items() if v})}", headers=headers
    )


async def test_a_provider_refusal_in_each_language(browser: httpx.AsyncClient) -> None:
    names = {"Stint", LABEL, "temporarily_unavailable"}
    await assert_translated(
        lambda h: _refused_at_callback(browser, h, error="temporarily_unavailable"), names, 400
    )
    german = await _refused_at_callback(
        browser, {**HTML, "Accept-Language": "de"}, error="temporarily_unavailable"
    )
    # The provider's error code, verbatim, inside the German sentence.
    assert "Der Anbieter hat die Anmeldung abgelehnt (temporarily_unavailable)." in text_of(german)


async def test_a_redirect_back_without_a_code_in_each_language(
    browser: httpx.AsyncClient,
) -> None:
    # The protocol's parameter, by its name (RFC 6749 §4.1.2), is shown as it is; iss says the
    # answer is this provider's (RFC 9207 §2.4).
    await assert_translated(
        lambda h: _refused_at_callback(browser, h, iss=UPSTREAM), {"Stint", LABEL, "code"}, 400
    )
    japanese = await _refused_at_callback(browser, {**HTML, "Accept-Language": "ja"}, iss=UPSTREAM)
    assert "プロバイダーの応答に code がありません。" in text_of(japanese)
