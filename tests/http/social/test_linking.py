"""Accounts and upstream identities: email collisions refused, connect and disconnect from
/account, and never locking someone out."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from stint.storage.upstream_identity_store import SqlUpstreamIdentityStore
from stint.storage.user_store import SqlUserStore
from tests.conftest import Account, register
from tests.http.social.conftest import (
    LABEL,
    Upstream,
    local_usernames,
    sign_in_with_upstream,
    through_upstream,
)
from tests.support.pages import csrf_of, hidden_inputs, submit_sign_in, text_of

pytestmark = pytest.mark.anyio


async def _alice(app: Starlette, client: httpx.AsyncClient, email: str) -> Account:
    alice = await register(client, "alice")
    await app.state.runtime.claims.update(alice.id, {"email": email, "email_verified": True})
    return alice


async def _connect_form(browser: httpx.AsyncClient) -> dict[str, str]:
    account = await browser.get("/account")
    found = re.search(
        r'<form method="post" action="/login/stint/".*?</form>', account.text, re.DOTALL
    )
    assert found is not None, account.text
    assert f"Connect {LABEL}" in found.group(0)
    return hidden_inputs(found.group(0))


async def _disconnect(browser: httpx.AsyncClient) -> httpx.Response:
    account = await browser.get("/account")
    found = re.search(r'action="/disconnect/stint/".*?</form>', account.text, re.DOTALL)
    assert found is not None, account.text
    return await browser.post("/disconnect/stint/", data=hidden_inputs(found.group(0)))


async def test_an_email_that_belongs_to_an_account_is_refused_with_the_way_to_connect(
    app: Starlette, upstream: Upstream, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await _alice(app, client, "shared@example.com")
    await upstream.person("uma", "shared@example.com")
    answer = await sign_in_with_upstream(browser, "uma")
    assert answer.status_code == 409, answer.text
    assert "connect" in text_of(answer).lower()
    assert await local_usernames(app) == ["alice"]
    assert (await browser.get("/account")).status_code == 303  # not signed in to alice


async def test_connecting_from_account_then_signing_in_with_the_provider(
    app: Starlette,
    upstream: Upstream,
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    new_browser: object,
) -> None:
    await _alice(app, client, "shared@example.com")
    await upstream.person("uma", "shared@example.com")
    assert (await submit_sign_in(browser, "alice")).status_code == 303
    started = await browser.post("/login/stint/", data=await _connect_form(browser))
    done = await browser.get(await through_upstream(browser, started, "uma"))
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/account?social=connected")
    account = await browser.get(done.headers["location"])
    assert "The provider was connected" in text_of(account)
    assert 'data-provider="stint"' in account.text
    async with new_browser() as other:  # type: ignore[operator]
        assert (await sign_in_with_upstream(other, "uma")).status_code == 303
        assert "alice" in text_of(await other.get("/account"))
    assert await local_usernames(app) == ["alice"]
    disconnected = await _disconnect(browser)
    assert disconnected.headers["location"].startswith("/account?social=disconnected")
    assert 'data-provider="stint"' not in (await browser.get("/account")).text


async def test_connecting_needs_the_form_of_a_signed_in_account(
    app: Starlette, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await _alice(app, client, "alice@example.com")
    assert (await submit_sign_in(browser, "alice")).status_code == 303
    refused = await browser.post("/login/stint/", data={"connect": "1"})  # no CSRF field
    assert refused.status_code == 403
    csrf = csrf_of(await browser.get("/account"))
    assert (await browser.post("/logout", data={"csrf_token": csrf})).status_code == 303
    form = {"csrf_token": csrf_of(await browser.get("/login")), "connect": "1"}
    signed_out = await browser.post("/login/stint/", data=form)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login?")  # sign in first, not upstream


async def test_disconnecting_the_only_way_to_sign_in_is_refused(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    await upstream.person("uma", "uma@example.com")
    assert (await sign_in_with_upstream(browser, "uma")).status_code == 303
    # /account offers no button for it (test_account_panel); a crafted form is refused too.
    runtime = app.state.runtime
    [uma] = await SqlUserStore(runtime.db).page(limit=10)
    [identity] = await SqlUpstreamIdentityStore(runtime.db, runtime.secret).for_user(uma.id)
    form = {"csrf_token": csrf_of(await browser.get("/account")), "uid": identity.uid}
    refused = await browser.post("/disconnect/stint/", data=form)
    assert refused.status_code == 303
    account = await browser.get(refused.headers["location"])
    assert "That is the only way you can sign in" in text_of(account)
    assert 'data-provider="stint"' in account.text


async def test_a_connection_completes_only_for_the_account_that_asked(
    app: Starlette, upstream: Upstream, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await _alice(app, client, "alice@example.com")
    await register(client, "bob")
    await upstream.person("uma")
    assert (await submit_sign_in(browser, "alice")).status_code == 303
    started = await browser.post("/login/stint/", data=await _connect_form(browser))
    callback = await through_upstream(browser, started, "uma")
    # Meanwhile this browser signed in as someone else: the identity must not go to bob.
    csrf = csrf_of(await browser.get("/account"))
    assert (await browser.post("/logout", data={"csrf_token": csrf})).status_code == 303
    assert (await submit_sign_in(browser, "bob")).status_code == 303
    answer = await browser.get(callback)
    assert answer.status_code == 403
    assert "no longer signed in" in text_of(answer)
    assert 'data-provider="stint"' not in (await browser.get("/account")).text
