"""CSRF fields bound to the browser's session, the cookies' names, and fields that are not ours."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, PASSWORD, Account, make_client, register
from tests.support.pages import csrf_of, sign_in, text_of

pytestmark = pytest.mark.anyio

NOT_ASCII = "é" * 64


async def _signs_out(client: httpx.AsyncClient, csrf: str) -> bool:
    answer = await client.post("/logout", data={"csrf_token": csrf})
    assert answer.status_code in (303, 403), answer.text
    return answer.status_code == 303


async def test_signing_in_changes_the_csrf_field(client: httpx.AsyncClient, alice: Account) -> None:
    before = csrf_of(await client.get("/login"))
    after = await sign_in(client, "alice")
    assert not await _signs_out(client, before)
    assert (await client.get("/account")).status_code == 200  # still signed in
    assert await _signs_out(client, after)


async def test_a_field_from_one_session_fails_in_the_next(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    alices = await sign_in(client, "alice")
    assert await _signs_out(client, alices)
    bobs = await sign_in(client, "bob")
    assert not await _signs_out(client, alices)
    assert await _signs_out(client, bobs)


@pytest.fixture
async def https_app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(
        settings.model_copy(update={"issuer": "https://testserver"}), hashing=FAST_HASHING
    )
    async with application.router.lifespan_context(application):
        yield application


async def test_over_https_the_cookies_are_host_prefixed_and_secure(https_app: Starlette) -> None:
    transport = httpx.ASGITransport(app=https_app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
        await register(browser, "alice")
        login = await browser.get("/login")
        assert _set_cookie(login, "__Host-stint_csrf") == {
            "httponly",
            "path=/",
            "samesite=lax",
            "secure",
        }
        form = {"csrf_token": csrf_of(login), "username": "alice", "password": PASSWORD}
        signed_in = await browser.post("/login", data=form)
        assert signed_in.status_code == 303, signed_in.text
        assert _set_cookie(signed_in, "__Host-stint_session") == {
            "httponly",
            "path=/",
            "samesite=lax",
            "secure",
        }
        assert "__Host-stint_csrf" not in browser.cookies  # the session's field takes over
        assert (await browser.get("/account")).status_code == 200
        assert "stint_session" not in browser.cookies and "stint_csrf" not in browser.cookies


async def test_over_http_the_cookies_keep_plain_names(client: httpx.AsyncClient) -> None:
    login = await client.get("/login")
    assert _set_cookie(login, "stint_csrf") == {"httponly", "path=/", "samesite=lax"}
    assert not any("__Host-" in header for header in login.headers.get_list("set-cookie"))


def _set_cookie(response: httpx.Response, name: str) -> set[str]:
    """The attributes of the Set-Cookie header for ``name`` (lower case, without max-age)."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.split("=", 1)[0] == name:
            return {
                a.lower() for a in attributes if not a.lower().startswith(("max-age", "expires"))
            }
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def _expired(page: httpx.Response) -> None:
    assert page.status_code == 403, page.text
    assert "The form expired" in text_of(page)


async def test_a_field_that_is_not_ascii_is_a_form_that_expired(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    await client.get("/login")  # the pre-session cookie
    form = {"csrf_token": NOT_ASCII, "username": "alice", "password": alice.password}
    _expired(await client.post("/login", data=form))
    await sign_in(client, "alice")
    client_id, _ = await make_client(
        app, name="Web", redirect_uris=["http://127.0.0.1:8765/callback"]
    )
    consent = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": "http://127.0.0.1:8765/callback",
        "scope": "profile",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    _expired(
        await client.post(
            "/o/authorize/", data={**consent, "decision": "approve", "csrf_token": NOT_ASCII}
        )
    )
    _expired(
        await client.post("/o/logout/", data={"decision": "sign_out", "csrf_token": NOT_ASCII})
    )
    _expired(await client.post("/logout", data={"csrf_token": NOT_ASCII}))
    assert (await client.get("/account")).status_code == 200
