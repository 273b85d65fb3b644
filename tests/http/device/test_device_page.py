"""/device (RFC 8628 §3.3): sign-in first, the code typed or filled in, which app asks for
what, Allow and Deny with CSRF, and user-code guessing limited (§5.1)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.device.user_code import ALPHABET
from tests.conftest import Account
from tests.support.apps import app_with
from tests.support.device import answer, device_client, enter_code, poll, start
from tests.support.pages import browser, csrf_of, hidden_inputs, sign_in, submit_sign_in, text_of
from tests.support.tokens import oauth_error

pytestmark = pytest.mark.anyio


async def _codes(client: httpx.AsyncClient, client_id: str, **kw: Any) -> dict[str, Any]:
    answered = await start(client, client_id, **kw)
    assert answered.status_code == 200, answered.text
    body: dict[str, Any] = answered.json()
    return body


def _wrong(code: str) -> str:
    """Another well-formed user code: the first letter changed."""
    other = ALPHABET[(ALPHABET.index(code[0]) + 1) % len(ALPHABET)]
    return other + code[1:]


async def test_signed_out_the_link_with_the_code_goes_to_sign_in_and_back_prefilled(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    codes = await _codes(client, client_id)
    link = codes["verification_uri_complete"]
    assert link.startswith("http://testserver/device?user_code=")
    async with browser(app) as person:
        sent = await person.get(link)
        next_url = parse_qs(urlsplit(sent.headers["location"]).query)["next"][0]
        signed_in = await submit_sign_in(person, "alice", next_url=next_url)
        page = await person.get(signed_in.headers["location"])
        polled = await poll(client, client_id, codes["device_code"])
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/login?")
    assert signed_in.headers["location"] == next_url
    # Filled in, and nothing allowed yet: the person still has to continue, then allow (§5.4).
    assert page.status_code == 200
    assert f'value="{codes["user_code"]}"' in page.text
    assert 'name="decision"' not in page.text
    oauth_error(polled, 400, "authorization_pending")


async def test_the_approval_page_shows_the_app_its_scopes_and_the_code_to_compare(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app, name="Timer CLI")
    codes = await _codes(client, client_id, scope="openid profile activities:read")
    async with browser(app) as person:
        await sign_in(person, "alice")
        page = await enter_code(person, codes["user_code"].lower().replace("-", " "))
    shown = text_of(page)
    assert page.status_code == 200, page.text
    assert "Timer CLI wants to use your Stint account" in shown
    assert "Signed in as alice" in shown
    assert 'data-scope="activities:read"' in page.text
    assert 'data-scope="profile"' in page.text
    # The code as the device shows it, whatever the person typed (case, spaces: §6.1).
    assert f"Your device should show the code {codes['user_code']}" in shown
    assert "Unverified app" not in shown  # registered by an operator, not by itself


async def test_a_self_registered_client_is_marked_unverified(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    registered = await client.post(
        "/o/register",
        json={
            "client_name": "Totally Official TV",
            "grant_types": [DEVICE_CODE_GRANT],
            "token_endpoint_auth_method": "none",
        },
    )
    assert registered.status_code == 201, registered.text
    codes = await _codes(client, registered.json()["client_id"], scope="activities:read")
    async with browser(app) as person:
        await sign_in(person, "alice")
        page = await enter_code(person, codes["user_code"])
    assert "Unverified app" in text_of(page)


async def test_wrong_expired_and_answered_codes_are_refused_on_the_page(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    answered = await _codes(client, client_id)
    waiting = await _codes(client, client_id)
    async with browser(app) as person:
        await sign_in(person, "alice")
        await answer(person, await enter_code(person, answered["user_code"]))
        reused = await enter_code(person, answered["user_code"])
        wrong = await enter_code(person, _wrong(waiting["user_code"]))
        garbage = await enter_code(person, "AEIOU-0000")
        still_fine = await enter_code(person, waiting["user_code"])
    for refused in (reused, wrong, garbage):
        assert refused.status_code == 400, refused.text
        assert "not valid, or it expired or was used" in text_of(refused)
        assert 'name="decision"' not in refused.text
    assert still_fine.status_code == 200
    assert 'name="decision"' in still_fine.text


async def test_allowing_twice_answers_once(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    codes = await _codes(client, client_id)
    async with browser(app) as person:
        await sign_in(person, "alice")
        page = await enter_code(person, codes["user_code"])
        first = await answer(person, page)
        second = await answer(person, page, "deny")  # the same form, from a second tab
    polled = await poll(client, client_id, codes["device_code"])
    assert first.status_code == 200
    assert second.status_code == 400
    assert polled.status_code == 200, polled.text  # the denial changed nothing


async def test_a_decision_needs_the_forms_csrf_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    codes = await _codes(client, client_id)
    async with browser(app) as person:
        await sign_in(person, "alice")
        page = await enter_code(person, codes["user_code"])
        form = hidden_inputs(page.text)
        forged = await person.post(
            "/device",
            data={**form, "csrf_token": "forged", "decision": "approve"},
        )
    polled = await poll(client, client_id, codes["device_code"])
    assert forged.status_code == 403
    oauth_error(polled, 400, "authorization_pending")


async def test_signed_out_a_submitted_code_goes_to_sign_in_first(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id = await device_client(app)
    codes = await _codes(client, client_id)
    async with browser(app) as person:
        page = await person.get("/login")  # a CSRF cookie, no session
        sent = await person.post(
            "/device",
            data={"csrf_token": csrf_of(page), "user_code": codes["user_code"]},
        )
    assert sent.status_code == 303
    next_url = parse_qs(urlsplit(sent.headers["location"]).query)["next"][0]
    assert parse_qs(urlsplit(next_url).query)["user_code"] == [codes["user_code"]]


async def test_remembered_consent_still_asks_to_confirm_the_code(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    first = await _codes(client, client_id)
    second = await _codes(client, client_id)
    async with browser(app) as person:
        await sign_in(person, "alice")
        before = await enter_code(person, first["user_code"])
        await answer(person, before)
        after = await enter_code(person, second["user_code"])
    assert "allowed Living-room TV this before" not in text_of(before)
    # §5.4: consent given before does not allow a code nobody compared with the device's.
    assert after.status_code == 200
    assert 'name="decision"' in after.text
    assert "allowed Living-room TV this before" in text_of(after)


async def test_a_client_default_max_age_asks_for_a_newer_sign_in(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    clients = app.state.runtime.oauth.clients
    registered = await clients.get(client_id)
    await clients.update(replace(registered, metadata={"default_max_age": 0}))
    codes = await _codes(client, client_id)
    async with browser(app) as person:
        await sign_in(person, "alice")
        page = await enter_code(person, codes["user_code"])
    assert page.status_code == 303
    location = page.headers["location"]
    assert location.startswith("/login?")
    assert parse_qs(urlsplit(location).query)["reauth"] == ["1"]


async def test_a_guessing_burst_gets_429_and_then_not_even_the_right_code(
    settings: Any, alice: Account
) -> None:
    async with app_with(
        settings, device_user_code_failures_per_ip=10, device_user_code_window_seconds=600
    ) as (app, client):
        client_id = await device_client(app)
        codes = await _codes(client, client_id)
        async with browser(app) as guesser:
            await sign_in(guesser, "alice")
            page = await guesser.get("/device")
            token = csrf_of(page)
            guesses = [
                await guesser.post("/device", data={"csrf_token": token, "user_code": guess})
                for guess in _guesses(codes["user_code"], 12)
            ]
            right = await guesser.post(
                "/device", data={"csrf_token": token, "user_code": codes["user_code"]}
            )
        polled = await poll(client, client_id, codes["device_code"])
    assert [g.status_code for g in guesses] == [400] * 10 + [429] * 2
    assert guesses[-1].headers["retry-after"] == "600"
    assert "Too many codes were tried" in text_of(guesses[-1])
    assert right.status_code == 429  # no lookup at all while over the limit
    oauth_error(polled, 400, "authorization_pending")


async def test_a_burst_of_concurrent_guesses_gets_no_more_lookups_than_the_limit(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    codes = await _codes(client, client_id)
    statuses: list[int] = []
    async with browser(app) as guesser:
        await sign_in(guesser, "alice")
        token = csrf_of(await guesser.get("/device"))

        async def guess(code: str) -> None:
            sent = await guesser.post("/device", data={"csrf_token": token, "user_code": code})
            statuses.append(sent.status_code)

        async with anyio.create_task_group() as burst:
            for code in _guesses(codes["user_code"], 18):
                burst.start_soon(guess, code)
    # Counted before each lookup, atomically: 10 lookups (the default limit), whatever the order.
    assert sorted(statuses) == [400] * 10 + [429] * 8


async def test_a_right_code_gives_its_attempt_back(settings: Any, alice: Account) -> None:
    async with app_with(settings, device_user_code_failures_per_ip=2) as (app, client):
        client_id = await device_client(app)
        async with browser(app) as person:
            await sign_in(person, "alice")
            for _ in range(3):
                codes = await _codes(client, client_id)
                shown = await enter_code(person, codes["user_code"])
                assert shown.status_code == 200, shown.text
            one = await enter_code(person, _wrong(codes["user_code"]))
            two = await enter_code(person, _wrong(_wrong(codes["user_code"])))
            three = await enter_code(person, codes["user_code"])
    assert (one.status_code, two.status_code, three.status_code) == (400, 400, 429)


async def test_a_code_tried_too_often_is_burnt_for_every_address(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    codes = await _codes(client, client_id)
    async with browser(app) as person, browser(app, "198.51.100.4") as elsewhere:
        await sign_in(person, "alice")
        await sign_in(elsewhere, "alice")
        await answer(person, await enter_code(person, codes["user_code"]), "deny")
        here = [(await enter_code(person, codes["user_code"])).status_code for _ in range(5)]
        there = await enter_code(elsewhere, codes["user_code"])
        other_code = await enter_code(elsewhere, _wrong(codes["user_code"]))
    assert here == [400] * 5
    assert there.status_code == 429  # the code is burnt, wherever it is typed
    assert other_code.status_code == 400  # that address may still try others


def _guesses(real: str, count: int) -> list[str]:
    """``count`` well-formed user codes, none of them ``real``."""
    found: list[str] = []
    guess = real
    while len(found) < count:
        guess = _wrong(guess)
        if guess.replace("-", "") != real.replace("-", ""):
            found.append(guess)
    return found
