"""OpenID Connect Back-Channel Logout 1.0 end to end: every way a session ends POSTs a logout
token to the apps that signed in with it, received here by a real HTTP server on 127.0.0.1.

Tests are named after the OpenID Foundation conformance-suite modules they mirror
(oidcc-backchannel-rp-initiated-logout-certification-test-plan); the others pin Stint's own
behaviour: retries, and the other ways a session ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette

from stint.protocol.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT
from stint.settings import Settings
from stint.storage.logout_delivery_store import SqlLogoutDeliveryStore
from stint.storage.tables import logout_deliveries, sessions
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, PASSWORD, Account, register
from tests.oidc.logout_support import (
    POST_LOGOUT_URI,
    LogoutReceiver,
    confirm_sign_out,
    id_token_for,
    relying_party,
    serve_logout_receiver,
    verified,
)
from tests.support.pages import browser, csrf_of, hidden_inputs, sign_in, text_of

pytestmark = pytest.mark.anyio

ATTEMPTS = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Retries within milliseconds rather than seconds; the receiver is on 127.0.0.1, which an
    # issuer that is not itself on loopback may reach only when allowed to (the SSRF guard).
    return settings.model_copy(
        update={
            "backchannel_logout_retry_seconds": 0.05,
            "backchannel_logout_attempts": ATTEMPTS,
            "outbound_allow_private_addresses": True,
        }
    )


@pytest.fixture
async def app(settings: Settings) -> Any:
    application = create_app(settings, hashing=FAST_HASHING)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    yield from serve_logout_receiver()


async def backchannel_rp(
    app: Starlette, receiver: LogoutReceiver, name: str = "Back-channel RP", **metadata: Any
) -> tuple[str, str | None]:
    return await relying_party(
        app,
        name,
        post_logout_redirect_uris=[POST_LOGOUT_URI],
        backchannel_logout_uri=receiver.url,
        **metadata,
    )


def deliveries(app: Starlette) -> SqlLogoutDeliveryStore:
    store: SqlLogoutDeliveryStore = app.state.backchannel._deliveries
    return store


async def assert_logout_token(
    client: httpx.AsyncClient, token: str, client_id: str, id_token: str
) -> dict[str, Any]:
    """A logout token (§2.4) for the session and user of ``id_token``, as ``client_id`` knows
    them, signed with a key from the JWKS; its claims."""
    header, claims = await verified(client, token)
    _, id_claims = await verified(client, id_token)
    assert header["typ"] == "logout+jwt"
    assert header["kid"]
    assert claims["iss"] == "http://testserver"
    assert claims["aud"] == client_id
    assert claims["sub"] == id_claims["sub"]
    assert claims["sid"] == id_claims["sid"]
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert "nonce" not in claims
    now = time.time()
    assert now - 60 <= claims["iat"] <= now + 5
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert isinstance(claims["jti"], str)
    assert len(claims["jti"]) >= 16
    return claims


async def test_oidcc_backchannel_rp_initiated_logout(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    client_id, secret = await backchannel_rp(app, receiver)
    async with browser(app) as b:
        id_token = await id_token_for(client, b, alice, client_id, secret)
        url = "/o/logout/?" + urlencode(
            {"id_token_hint": id_token, "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "1"}
        )
        answer = await confirm_sign_out(b, await b.get(url))
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=1"

    [post] = await receiver.wait_for(1)
    assert post.path == "/backchannel-logout"
    assert post.content_type == "application/x-www-form-urlencoded"  # §2.5
    await assert_logout_token(client, post.logout_token, client_id, id_token)
    await _until_delivered(app)
    await _settled(app)
    assert len(receiver.received) == 1, "a delivered token is not sent again"


async def test_oidcc_backchannel_rp_initiated_logout_receives_logout_token_with_sid(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    # A client that needs sid, sees pairwise subjects and registered RS256 for its ID tokens.
    client_id, secret = await backchannel_rp(
        app,
        receiver,
        backchannel_logout_session_required=True,
        subject_type="pairwise",
        id_token_signed_response_alg="RS256",
    )
    async with browser(app) as b:
        id_token = await id_token_for(client, b, alice, client_id, secret)
        await confirm_sign_out(
            b, await b.get("/o/logout/?" + urlencode({"id_token_hint": id_token}))
        )
    [post] = await receiver.wait_for(1)
    header, _ = await verified(client, post.logout_token)
    assert header["alg"] == "RS256"
    claims = await assert_logout_token(client, post.logout_token, client_id, id_token)
    assert claims["sub"] != str(alice.id), "the pairwise subject, as the client knows the user"


async def test_every_app_the_session_signed_in_to_is_told_and_no_other(
    app: Starlette,
    client: httpx.AsyncClient,
    alice: Account,
    bob: Account,
    receiver: LogoutReceiver,
) -> None:
    first_id, first_secret = await backchannel_rp(app, receiver, "First RP")
    second_id, second_secret = await backchannel_rp(app, receiver, "Second RP")
    quiet_id, quiet_secret = await relying_party(app, "No back-channel RP")
    async with browser(app) as b, browser(app) as bobs:
        await id_token_for(client, b, alice, first_id, first_secret)
        await id_token_for(client, b, alice, second_id, second_secret)
        await id_token_for(client, b, alice, quiet_id, quiet_secret)
        await id_token_for(client, bobs, bob, first_id, first_secret)  # bob stays signed in
        await confirm_sign_out(b, await b.get("/o/logout/"))
        posts = await receiver.wait_for(2)
        await _settled(app)
        assert len(receiver.received) == 2
        audiences = sorted([(await verified(client, p.logout_token))[1]["aud"] for p in posts])
        assert audiences == sorted([first_id, second_id])
        assert (await bobs.get("/account")).status_code == 200


async def test_a_failing_rp_is_retried_until_it_answers_200(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    receiver.statuses = [500, 503]
    client_id, secret = await backchannel_rp(app, receiver)
    async with browser(app) as b:
        id_token = await id_token_for(client, b, alice, client_id, secret)
        await confirm_sign_out(b, await b.get("/o/logout/"))
    posts = await receiver.wait_for(3)
    assert len({p.logout_token for p in posts}) == 1, "the same token each time"
    await assert_logout_token(client, posts[0].logout_token, client_id, id_token)
    delivery_id = await _until_delivered(app)
    attempts, delivered_at, last_error = await deliveries(app).status(delivery_id) or (0, None, "")
    assert (attempts, last_error) == (3, "")
    assert delivered_at is not None


async def test_a_204_counts_as_delivered_and_other_answers_are_given_up_on(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    receiver.statuses = [204]
    client_id, secret = await backchannel_rp(app, receiver)
    async with browser(app) as b:
        await id_token_for(client, b, alice, client_id, secret)
        await confirm_sign_out(b, await b.get("/o/logout/"))
    await receiver.wait_for(1)
    await _until_delivered(app)

    receiver.statuses = [400] * 10  # §2.8: anything but 200 or 204 is a failure
    async with browser(app) as b:
        await id_token_for(client, b, alice, client_id, secret)
        await confirm_sign_out(b, await b.get("/o/logout/"))
    await receiver.wait_for(1 + ATTEMPTS)
    await _settled(app)
    assert len(receiver.received) == 1 + ATTEMPTS, "no attempt beyond the limit"
    assert await deliveries(app).pending() == []
    async with app.state.runtime.db.read() as conn:
        query = select(logout_deliveries.c.attempts, logout_deliveries.c.last_error)
        given_up = (
            await conn.execute(query.where(logout_deliveries.c.delivered_at.is_(None)))
        ).all()
    assert [tuple(row) for row in given_up] == [(ATTEMPTS, "answered 400")]


async def test_signing_out_tells_the_apps(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    client_id, secret = await backchannel_rp(app, receiver)
    async with browser(app) as b:
        id_token = await id_token_for(client, b, alice, client_id, secret)
        account = await b.get("/account")
        signed_out = await b.post("/logout", data={"csrf_token": csrf_of(account)})
        assert signed_out.status_code == 303
    [post] = await receiver.wait_for(1)
    await assert_logout_token(client, post.logout_token, client_id, id_token)


async def test_ending_a_session_from_the_account_page_tells_its_apps(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    client_id, secret = await backchannel_rp(app, receiver, "Phone Timesheets")
    async with browser(app) as phone, browser(app) as laptop:
        id_token = await id_token_for(client, phone, alice, client_id, secret)
        _, phone_claims = await verified(client, id_token)
        await sign_in(laptop, "alice")
        page = await laptop.get("/account")
        assert f'data-sid="{phone_claims["sid"]}"' in page.text
        assert "Phone Timesheets" in text_of(page)
        assert "This browser" in text_of(page)
        form = hidden_inputs(page.text)
        ended = await laptop.post(
            f"/account/sessions/{phone_claims['sid']}/end", data={"csrf_token": form["csrf_token"]}
        )
        assert ended.status_code == 303
        assert ended.headers["location"] == "/account?notice=session-ended"
        assert (await phone.get("/account")).status_code == 303, "the phone is signed out"
        assert (await laptop.get("/account")).status_code == 200, "the laptop is not"
    [post] = await receiver.wait_for(1)
    await assert_logout_token(client, post.logout_token, client_id, id_token)


async def test_changing_the_password_tells_the_apps_of_the_other_sessions(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    client_id, secret = await backchannel_rp(app, receiver)
    async with browser(app) as phone, browser(app) as laptop:
        id_token = await id_token_for(client, phone, alice, client_id, secret)
        csrf = await sign_in(laptop, "alice")
        new_password = "an entirely new passphrase"
        changed = await laptop.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current_password": PASSWORD,
                "new_password": new_password,
                "confirm_password": new_password,
            },
        )
        assert changed.status_code == 303
    [post] = await receiver.wait_for(1)
    await assert_logout_token(client, post.logout_token, client_id, id_token)


async def _settled(app: Starlette) -> None:
    """Once no attempt is in flight, nothing will ever be sent again: the worker sends only what
    the store finds due, and it finds nothing due even a year from now."""
    backchannel = app.state.backchannel
    while backchannel._tasks:  # the first attempts, which session_ended spawned
        await asyncio.gather(*list(backchannel._tasks))
    a_year_on = datetime.now(UTC) + timedelta(days=365)
    assert not await deliveries(app).any_due(a_year_on), "a delivery would be sent again"
    assert await backchannel.deliver_due() == 0


async def _until_delivered(app: Starlette) -> int:
    """The id of the newest delivery, once it is recorded as made (10 seconds at most)."""
    columns = logout_deliveries.c
    newest = select(columns.id, columns.delivered_at).order_by(columns.id.desc()).limit(1)
    with anyio.fail_after(10):
        while True:
            async with app.state.runtime.db.read() as conn:
                row = (await conn.execute(newest)).first()
            if row is not None and row[1] is not None:
                return int(row[0])
            await anyio.sleep(0.02)


async def _header_sign_out(b: httpx.AsyncClient, _other: httpx.AsyncClient, sid: str) -> None:
    account = await b.get("/account")
    assert (await b.post("/logout", data={"csrf_token": csrf_of(account)})).status_code == 303


async def _rp_initiated_logout(b: httpx.AsyncClient, _other: httpx.AsyncClient, sid: str) -> None:
    assert (await confirm_sign_out(b, await b.get("/o/logout/"))).status_code == 200


async def _signing_in_over_it(b: httpx.AsyncClient, _other: httpx.AsyncClient, sid: str) -> None:
    page = await b.get("/login", params={"reauth": "1"})
    form = {"csrf_token": csrf_of(page), "username": "bob", "password": PASSWORD}
    assert (await b.post("/login", data=form)).status_code == 303


async def _ended_from_another_browser(
    _b: httpx.AsyncClient, other: httpx.AsyncClient, sid: str
) -> None:
    csrf = await sign_in(other, "alice")
    ended = await other.post(f"/account/sessions/{sid}/end", data={"csrf_token": csrf})
    assert ended.status_code == 303


async def _password_changed_elsewhere(
    _b: httpx.AsyncClient, other: httpx.AsyncClient, sid: str
) -> None:
    csrf = await sign_in(other, "alice")
    new = "an entirely new passphrase"
    fields = {"current_password": PASSWORD, "new_password": new, "confirm_password": new}
    changed = await other.post("/account/password", data={"csrf_token": csrf, **fields})
    assert changed.status_code == 303


@pytest.mark.parametrize(
    "end_session",
    [
        _header_sign_out,
        _rp_initiated_logout,
        _signing_in_over_it,
        _ended_from_another_browser,
        _password_changed_elsewhere,
    ],
    ids=lambda end: str(end.__name__).strip("_"),
)
async def test_every_way_a_session_ends_delivers_its_logout_token_on_the_first_try(
    settings: Settings,
    receiver: LogoutReceiver,
    end_session: Callable[[httpx.AsyncClient, httpx.AsyncClient, str], Awaitable[None]],
) -> None:
    # A retry only after two minutes: a token within wait_for's 10 seconds is the first attempt.
    patient = settings.model_copy(update={"backchannel_logout_retry_seconds": 120.0})
    app = create_app(patient, hashing=FAST_HASHING)
    async with app.router.lifespan_context(app), browser(app) as api:
        alice = await register(api, "alice")
        await register(api, "bob")
        client_id, secret = await backchannel_rp(app, receiver)
        async with browser(app) as b, browser(app) as other:
            id_token = await id_token_for(api, b, alice, client_id, secret)
            _, claims = await verified(api, id_token)
            await end_session(b, other, claims["sid"])
        [post] = await receiver.wait_for(1)
        await assert_logout_token(api, post.logout_token, client_id, id_token)
        status = await deliveries(app).status(await _until_delivered(app))
        assert status is not None
        assert status[0] == 1, "delivered on the first attempt"


async def test_a_session_that_runs_out_is_ended_and_its_apps_told(
    app: Starlette, client: httpx.AsyncClient, alice: Account, receiver: LogoutReceiver
) -> None:
    client_id, secret = await backchannel_rp(app, receiver)
    async with browser(app) as b:
        id_token = await id_token_for(client, b, alice, client_id, secret)
        async with app.state.runtime.db.write() as conn:
            past = datetime.now(UTC) - timedelta(seconds=1)
            await conn.execute(update(sessions).values(expires_at=past))
        assert (await b.get("/account")).status_code == 303, "its cookie stopped working"
        assert receiver.received == [], "nobody told the app yet"
        # What every worker runs each EXPIRY_SWEEP_SECONDS, here every 10 ms.
        sweeper = asyncio.create_task(app.state.sessions.end_expired_forever(0.01))
        try:
            [post] = await receiver.wait_for(1)
        finally:
            sweeper.cancel()
    await assert_logout_token(client, post.logout_token, client_id, id_token)
    assert await app.state.runtime.oauth.sessions.for_user(alice.id) == []
