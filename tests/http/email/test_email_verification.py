"""Email verification: a signed, expiring, single-use link; the claim is true only after it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import PASSWORD, Account
from tests.support.clock import Clock
from tests.support.pages import browser, csrf_of, hidden_inputs, sign_in, text_of
from tests.support.smtp import MailCatcher, link_to, mail_to

pytestmark = pytest.mark.anyio

ADDRESS = "carol@example.com"


async def email_claims(app: Starlette, username: str) -> dict[str, object]:
    runtime = app.state.runtime
    user = await runtime.accounts._users.by_username_key(username)
    claims: dict[str, object] = await runtime.claims.claims(user.id)
    return {k: v for k, v in claims.items() if k.startswith("email")}


async def sign_up(client: httpx.AsyncClient, address: str = ADDRESS) -> None:
    page = await client.get("/signup")
    form = {"username": "carol", "password": PASSWORD, "confirm_password": PASSWORD}
    created = await client.post(
        "/signup", data={"csrf_token": csrf_of(page), "email": address, **form}
    )
    assert created.status_code == 303, created.text


async def follow(client: httpx.AsyncClient, link: str) -> httpx.Response:
    """Open the link and press the button."""
    page = await client.get(link)
    assert page.status_code == 200, page.text
    return await client.post("/verify-email", data=hidden_inputs(page.text))


async def test_the_link_verifies_the_address(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher
) -> None:
    await sign_up(client)
    assert await email_claims(app, "carol") == {"email": ADDRESS, "email_verified": False}
    link = await link_to(app, mailbox, ADDRESS)
    assert link.startswith("/verify-email?token=")
    # Opening it (a mail scanner's prefetch) changes nothing: only the button does.
    page = await client.get(link)
    assert f"Confirm that {ADDRESS} is your address." in text_of(page)
    assert await email_claims(app, "carol") == {"email": ADDRESS, "email_verified": False}
    async with browser(app) as elsewhere:  # no session needed: the link is the proof
        done = await follow(elsewhere, link)
    assert done.status_code == 200
    assert "Email address verified" in text_of(done)
    assert await email_claims(app, "carol") == {"email": ADDRESS, "email_verified": True}
    assert f"{ADDRESS} verified" in text_of(await client.get("/account"))


async def test_a_link_works_once(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher
) -> None:
    await sign_up(client)
    link = await link_to(app, mailbox, ADDRESS)
    page = await client.get(link)
    assert (await client.post("/verify-email", data=hidden_inputs(page.text))).status_code == 200
    again = await client.post("/verify-email", data=hidden_inputs(page.text))
    assert again.status_code == 400
    assert "This link does not work" in text_of(again)
    assert (await client.get(link)).status_code == 400


async def test_an_expired_link_does_not_work(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, clock: Clock
) -> None:
    await sign_up(client)
    link = await link_to(app, mailbox, ADDRESS)
    page = await client.get(link)
    clock.advance(24 * 3600)
    assert (await client.get(link)).status_code == 400
    late = await client.post("/verify-email", data=hidden_inputs(page.text))
    assert late.status_code == 400
    assert await email_claims(app, "carol") == {"email": ADDRESS, "email_verified": False}


async def test_a_tampered_token_does_not_work(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher
) -> None:
    await sign_up(client)
    link = await link_to(app, mailbox, ADDRESS)
    token = parse_qs(urlsplit(link).query)["token"][0]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await client.get(f"/verify-email?token={tampered}")).status_code == 400
    form = {"csrf_token": csrf_of(await client.get("/account")), "token": tampered}
    assert (await client.post("/verify-email", data=form)).status_code == 400
    assert (await client.get("/verify-email")).status_code == 400
    assert await email_claims(app, "carol") == {"email": ADDRESS, "email_verified": False}


async def test_a_link_for_an_old_address_verifies_nothing(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher
) -> None:
    await sign_up(client)
    old_link = await link_to(app, mailbox, ADDRESS)
    csrf = csrf_of(await client.get("/account"))
    changed = await client.post("/account/email", data={"csrf_token": csrf, "email": "new@x.org"})
    assert changed.headers["location"] == "/account?email=sent"
    refused = await follow(client, old_link)
    assert refused.status_code == 409
    assert "no longer on the account" in text_of(refused)
    assert await email_claims(app, "carol") == {"email": "new@x.org", "email_verified": False}
    assert (await follow(client, await link_to(app, mailbox, "new@x.org"))).status_code == 200
    assert await email_claims(app, "carol") == {"email": "new@x.org", "email_verified": True}


async def test_changing_a_verified_address_unverifies_it(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher
) -> None:
    await sign_up(client)
    await follow(client, await link_to(app, mailbox, ADDRESS))
    csrf = csrf_of(await client.get("/account"))
    await client.post("/account/email", data={"csrf_token": csrf, "email": "other@x.org"})
    assert await email_claims(app, "carol") == {"email": "other@x.org", "email_verified": False}
    # The same address again is no change: still unverified, no new mail needed to keep it.
    await client.post("/account/email", data={"csrf_token": csrf, "email": "other@x.org"})
    assert len(await mail_to(app, mailbox, "other@x.org")) == 1


async def test_resending_is_throttled(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, alice: Account
) -> None:
    await sign_in(client, "alice")
    csrf = csrf_of(await client.get("/account"))
    await client.post("/account/email", data={"csrf_token": csrf, "email": "alice@x.org"})
    limit = app.state.runtime.settings.mails_per_account
    for _ in range(limit - 1):
        sent = await client.post("/account/email/verify", data={"csrf_token": csrf})
        assert sent.headers["location"] == "/account?email=sent"
    held = await client.post("/account/email/verify", data={"csrf_token": csrf})
    assert held.headers["location"] == "/account?email=throttled"
    assert "Too many mails" in text_of(await client.get(held.headers["location"]))
    assert len(await mail_to(app, mailbox, "alice@x.org")) == limit
    assert (await client.post("/account/email/verify", data={})).status_code == 403
