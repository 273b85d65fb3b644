"""/signup: an account made in the browser, under the rules of POST /api/users."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, PASSWORD, basic
from tests.support.pages import browser, csrf_of, text_of
from tests.support.smtp import MailCatcher, mail_to

pytestmark = pytest.mark.anyio


async def sign_up(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    page = await client.get("/signup")
    assert page.status_code == 200, page.text
    form = {"username": "carol", "password": PASSWORD, "confirm_password": PASSWORD} | fields
    return await client.post("/signup", data={"csrf_token": csrf_of(page), **form})


async def test_the_sign_in_page_offers_sign_up(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    assert 'href="/signup"' in page.text
    assert 'href="/password-reset"' in page.text


async def test_sign_up_creates_the_account_and_signs_in(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher
) -> None:
    created = await sign_up(client, email="carol@example.com")
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/account?email=welcome-verify"
    account = await client.get(created.headers["location"])
    text = text_of(account)
    assert "Username carol" in text
    assert "We sent you a link to verify your email address." in text
    assert "carol@example.com not verified" in text
    # The same account the API knows, with the password chosen.
    assert (await client.get("/api/me", headers=basic("carol", PASSWORD))).json()[
        "username"
    ] == "carol"
    mails = await mail_to(app, mailbox, "carol@example.com")
    assert [m["Subject"] for m in mails] == ["Verify your email address for Stint"]


async def test_the_email_is_optional(app: Starlette, client: httpx.AsyncClient) -> None:
    created = await sign_up(client)
    assert created.headers["location"] == "/account?email=welcome"
    assert "No email address" in text_of(await client.get("/account"))


async def test_a_taken_name_is_refused(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher
) -> None:
    assert (await sign_up(client)).status_code == 303
    async with browser(app) as other:
        taken = await sign_up(other, username="CAROL", email="c2@example.com")
        assert taken.status_code == 409
        assert "Username: is taken: choose another" in text_of(taken)
        assert 'value="CAROL"' in taken.text  # what was typed stays, the passwords do not
        assert PASSWORD not in taken.text
    assert await mail_to(app, mailbox, "c2@example.com") == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short", "confirm_password": "short"}, "Password:"),
        ({"confirm_password": "something else entirely"}, "Password again: does not match"),
        ({"username": "no spaces allowed"}, "Username:"),
        ({"email": "not-an-address"}, "Email address: is not an email address"),
    ],
)
async def test_the_api_rules_apply(
    client: httpx.AsyncClient, fields: dict[str, str], message: str
) -> None:
    refused = await sign_up(client, **fields)
    assert refused.status_code == 400
    assert message in text_of(refused)
    assert (await client.get("/api/me", headers=basic("carol", PASSWORD))).status_code == 401


async def test_sign_up_needs_the_csrf_field(client: httpx.AsyncClient) -> None:
    form = {"username": "carol", "password": PASSWORD, "confirm_password": PASSWORD}
    assert (await client.post("/signup", data=form)).status_code == 403
    assert (await client.get("/api/me", headers=basic("carol", PASSWORD))).status_code == 401


async def test_sign_ups_are_throttled_per_address(
    settings: Settings, client: httpx.AsyncClient, app: Starlette
) -> None:
    limit = settings.signups_per_ip
    for n in range(limit):
        assert (await sign_up(client, username=f"user{n}")).status_code == 303
        await client.post("/logout", data={"csrf_token": csrf_of(await client.get("/account"))})
    refused = await sign_up(client, username="onemore")
    assert refused.status_code == 429
    assert "Too many accounts" in text_of(refused)
    async with browser(app, "198.51.100.20") as elsewhere:  # another address is not held back
        assert (await sign_up(elsewhere, username="onemore")).status_code == 303


async def test_an_operator_can_close_sign_up(settings: Settings) -> None:
    closed = create_app(settings.model_copy(update={"open_signup": False}), hashing=FAST_HASHING)
    async with closed.router.lifespan_context(closed), browser(closed) as client:
        page = await client.get("/signup")
        assert page.status_code == 404
        assert "Sign-up is closed" in text_of(page)
        login = await client.get("/login")
        assert "/signup" not in login.text
        form = {"csrf_token": csrf_of(login), "username": "carol", "password": PASSWORD}
        assert (await client.post("/signup", data=form)).status_code == 404
        # The API is not this switch's: POST /api/users stays as it was.
        api = await client.post("/api/users", json={"username": "dave", "password": PASSWORD})
        assert api.status_code == 201
