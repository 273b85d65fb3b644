"""/password-reset: a single-use, expiring link by mail; the answer never says whether an
account exists."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import PASSWORD, Account, basic
from tests.support.clock import Clock
from tests.support.pages import browser, csrf_of, hidden_inputs, sign_in, text_of
from tests.support.smtp import MailCatcher, link_to, mail_to

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a brand new passphrase"
ADDRESS = "alice@example.com"


@pytest.fixture
async def with_email(app: Starlette, client: httpx.AsyncClient, alice: Account) -> Account:
    """alice, with an email address on her profile (not yet verified)."""
    await app.state.runtime.claims.update(alice.id, {"email": ADDRESS})
    return alice


async def ask(client: httpx.AsyncClient, account: str) -> httpx.Response:
    page = await client.get("/password-reset")
    assert page.status_code == 200, page.text
    return await client.post(
        "/password-reset", data={"csrf_token": csrf_of(page), "account": account}
    )


async def choose(
    client: httpx.AsyncClient, link: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    page = await client.get(link)
    assert page.status_code == 200, page.text
    form = hidden_inputs(page.text) | {"new_password": password, "confirm_password": password}
    return await client.post("/password-reset/confirm", data=form)


async def test_a_reset_link_replaces_the_password(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await sign_in(client, "alice")  # a session and a token, both to end with the old password
    answer = await ask(client, "alice")
    assert answer.status_code == 200
    assert "Check your mail" in text_of(answer)
    (mail,) = await mail_to(app, mailbox, ADDRESS)
    assert mail["Subject"] == "Reset your Stint password"
    assert mail["From"] == "Stint <no-reply@testserver>"
    link = await link_to(app, mailbox, ADDRESS)
    assert link.startswith("/password-reset/confirm?token=")
    async with browser(app) as elsewhere:
        done = await choose(elsewhere, link)
    assert done.status_code == 200
    assert "Your password was changed" in text_of(done)
    assert (await client.get("/api/me", headers=basic("alice", PASSWORD))).status_code == 401
    assert (await client.get("/api/me", headers=basic("alice", NEW_PASSWORD))).status_code == 200
    assert (await client.get("/api/me", headers=with_email.bearer)).status_code == 401
    assert (await client.get("/account")).status_code == 303  # the session ended too
    # The link is dead now.
    assert (await client.get(link)).status_code == 400


async def test_by_a_verified_email_address(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await ask(client, ADDRESS)
    assert await mail_to(app, mailbox, ADDRESS) == []  # unverified: the address names no one
    await app.state.runtime.claims.update(with_email.id, {"email_verified": True})
    await ask(client, ADDRESS.upper())
    assert len(await mail_to(app, mailbox, ADDRESS)) == 1


async def test_an_unknown_account_gets_the_same_answer(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    known = await ask(client, "alice")
    unknown = await ask(client, "nobody")
    unknown_email = await ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == unknown_email.status_code == 200
    assert text_of(known) == text_of(unknown) == text_of(unknown_email)
    await app.state.email.outbox.settle()
    assert [m["To"] for m in mailbox.messages] == [ADDRESS]


async def test_a_reset_link_works_once(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await ask(client, "alice")
    link = await link_to(app, mailbox, ADDRESS)
    page = await client.get(link)
    form = hidden_inputs(page.text) | {
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    assert (await client.post("/password-reset/confirm", data=form)).status_code == 200
    replay = await client.post("/password-reset/confirm", data=form | {"new_password": "x" * 20})
    assert replay.status_code == 400
    assert "This link does not work" in text_of(replay)
    assert (await client.get("/api/me", headers=basic("alice", NEW_PASSWORD))).status_code == 200


async def test_using_one_link_ends_the_older_ones(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await ask(client, "alice")
    older = await link_to(app, mailbox, ADDRESS)
    await ask(client, "alice")
    newer = await link_to(app, mailbox, ADDRESS)
    assert older != newer
    assert (await choose(client, newer)).status_code == 200
    assert (await client.get(older)).status_code == 400


async def test_an_expired_link_does_not_work(
    app: Starlette,
    client: httpx.AsyncClient,
    mailbox: MailCatcher,
    clock: Clock,
    with_email: Account,
) -> None:
    await ask(client, "alice")
    link = await link_to(app, mailbox, ADDRESS)
    page = await client.get(link)
    clock.advance(3600)
    assert (await client.get(link)).status_code == 400
    form = hidden_inputs(page.text) | {
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    assert (await client.post("/password-reset/confirm", data=form)).status_code == 400
    assert (await client.get("/api/me", headers=basic("alice", PASSWORD))).status_code == 200


async def test_the_new_password_follows_the_policy(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await ask(client, "alice")
    link = await link_to(app, mailbox, ADDRESS)
    short = await choose(client, link, "short")
    assert short.status_code == 400
    assert "New password:" in text_of(short)
    # A refused password leaves the link usable.
    assert (await choose(client, link)).status_code == 200


async def test_a_tampered_token_does_not_work(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await ask(client, "alice")
    link = await link_to(app, mailbox, ADDRESS)
    assert (await client.get(link[:-3] + "abc")).status_code == 400
    assert (
        await client.get(link.replace("password-reset/confirm", "verify-email"))
    ).status_code == 400


async def test_requests_are_throttled_per_address_and_per_account(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    settings = app.state.runtime.settings
    for _ in range(settings.mails_per_account + 2):
        assert (await ask(client, "alice")).status_code == 200
    # Per account: a flood sends few mails, and the answer does not tell.
    assert len(await mail_to(app, mailbox, ADDRESS)) == settings.mails_per_account
    for _ in range(settings.mails_per_ip - settings.mails_per_account - 2):
        assert (await ask(client, "nobody")).status_code == 200
    held = await ask(client, "nobody")
    assert held.status_code == 429
    assert "Too many requests" in text_of(held)
    async with browser(app, "198.51.100.30") as elsewhere:
        assert (await ask(elsewhere, "nobody")).status_code == 200


async def test_the_form_needs_the_csrf_field(
    client: httpx.AsyncClient, with_email: Account
) -> None:
    assert (await client.post("/password-reset", data={"account": "alice"})).status_code == 403


async def test_a_link_to_an_old_address_stops_working(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await ask(client, "alice")
    link = await link_to(app, mailbox, ADDRESS)
    await app.state.runtime.claims.update(with_email.id, {"email": "alice@new.example"})
    assert (await client.get(link)).status_code == 400
    assert (await client.get("/api/me", headers=basic("alice", PASSWORD))).status_code == 200


async def test_a_disabled_account_is_not_reset(
    app: Starlette, client: httpx.AsyncClient, mailbox: MailCatcher, with_email: Account
) -> None:
    await ask(client, "alice")
    link = await link_to(app, mailbox, ADDRESS)
    await app.state.runtime.accounts._users.set_disabled(with_email.id, True)
    app.state.runtime.accounts.forget(with_email.id)
    assert (await client.get(link)).status_code == 400
