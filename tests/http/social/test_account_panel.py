"""/account's panel offers only what can work: no "Disconnect" for the only way to sign in, and
"Connect another" for a provider already connected (a person may hold two accounts there)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import register
from tests.http.social.conftest import LABEL, Upstream, sign_in_with_upstream, through_upstream
from tests.support.pages import hidden_inputs, submit_sign_in

pytestmark = pytest.mark.anyio


def _panel(account: httpx.Response) -> str:
    found = re.search(r'<div class="card" id="connections">.*?\n</div>', account.text, re.DOTALL)
    assert found is not None, account.text
    return found.group(0)


async def test_the_only_way_to_sign_in_offers_no_disconnect_button(
    upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    await upstream.person("uma", "uma@example.com")
    assert (await sign_in_with_upstream(browser, "uma")).status_code == 303
    panel = _panel(await browser.get("/account"))
    assert 'data-provider="stint"' in panel
    assert 'action="/disconnect/' not in panel
    assert "only way you can sign in" in text_of_fragment(panel)
    # Connecting from the same provider again is for another account there.
    assert f"Connect another {LABEL} account" in text_of_fragment(panel)


async def test_with_a_password_a_connection_can_be_disconnected(
    app: Starlette, upstream: Upstream, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await register(client, "alice")
    await upstream.person("uma")
    assert (await submit_sign_in(browser, "alice")).status_code == 303
    panel = _panel(await browser.get("/account"))
    assert f"Connect {LABEL}" in text_of_fragment(panel)
    connect = re.search(r'<form method="post" action="/login/stint/".*?</form>', panel, re.DOTALL)
    assert connect is not None
    started = await browser.post("/login/stint/", data=hidden_inputs(connect.group(0)))
    assert (await browser.get(await through_upstream(browser, started, "uma"))).status_code == 303
    panel = _panel(await browser.get("/account"))
    found = re.search(r'action="/disconnect/stint/".*?</form>', panel, re.DOTALL)
    assert found is not None, panel
    done = await browser.post("/disconnect/stint/", data=hidden_inputs(found.group(0)))
    assert done.headers["location"].startswith("/account?social=disconnected")
    assert 'data-provider="stint"' not in (await browser.get("/account")).text


def text_of_fragment(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
