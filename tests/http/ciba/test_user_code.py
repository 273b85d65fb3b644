"""CIBA Core §7.1 user_code over HTTP: with STINT_CIBA_USER_CODE=password, a client registered
for it sends the person's Stint password, checked (and throttled) as a sign-in from the
client's address; with the setting off, nobody may register it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from stint.protocol.ciba import GRANT_TYPE
from stint.settings import Settings
from stint.storage.tables import backchannel_requests
from tests.conftest import Account, register
from tests.support.apps import app_with
from tests.support.ciba import CibaClient, backchannel_request, pending
from tests.support.pages import browser, csrf_of, sign_in, text_of

pytestmark = pytest.mark.anyio

FAILURES = 3  # wrong passwords per account and address before sign-ins are throttled


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"ciba_user_code": "password", "login_failures_per_account": FAILURES}
    )


def registration(**extra: Any) -> dict[str, Any]:
    return {
        "client_name": "Call centre",
        "grant_types": [GRANT_TYPE],
        "scope": "openid activities:read",
        "backchannel_token_delivery_mode": "poll",
        "backchannel_user_code_parameter": True,
        **extra,
    }


async def coded_client(client: httpx.AsyncClient) -> CibaClient:
    """A poll client registered (dynamically) to send user_code."""
    answer = await client.post("/o/register", json=registration())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["backchannel_user_code_parameter"] is True
    return CibaClient(body["client_id"], body["client_secret"])


def error_of(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    error: str = answer.json()["error"]
    return error


async def test_discovery_says_user_codes_are_supported(client: httpx.AsyncClient) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        document = (await client.get(path)).json()
        assert document["backchannel_user_code_parameter_supported"] is True  # §4


async def test_the_persons_password_lets_the_request_through_and_is_kept_nowhere(
    app: Starlette, client: httpx.AsyncClient, approver: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await coded_client(client)
    started = await backchannel_request(client, ciba, user_code=alice.password)
    assert started.status_code == 200, started.text
    assert set(started.json()) == {"auth_req_id", "expires_in", "interval"}
    [shown] = await pending(approver)
    assert shown["client_name"] == "Call centre"
    async with app.state.runtime.db.read() as conn:
        rows = (await conn.execute(select(backchannel_requests))).all()
    assert len(rows) == 1
    assert alice.password not in repr(rows)


async def test_a_missing_or_wrong_user_code_is_refused_with_its_ciba_error(
    client: httpx.AsyncClient, approver: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await coded_client(client)
    assert error_of(await backchannel_request(client, ciba)) == "missing_user_code"  # §13
    wrong = await backchannel_request(client, ciba, user_code="not her password")
    assert error_of(wrong) == "invalid_user_code"  # §13
    assert "not her password" not in wrong.text
    assert await pending(approver) == []


async def test_wrong_codes_are_failed_sign_ins_and_past_the_limit_even_the_right_one_fails(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await coded_client(client)
    for _ in range(FAILURES):
        wrong = await backchannel_request(client, ciba, user_code="guess")
        assert error_of(wrong) == "invalid_user_code"
    # Throttled: the right code is refused too, with the same error (nothing revealed).
    right = await backchannel_request(client, ciba, user_code=alice.password)
    assert error_of(right) == "invalid_user_code"
    # The same counters as sign-ins: from the client's address, alice's sign-in is held back...
    page = await client.get("/login")
    form = {"csrf_token": csrf_of(page), "username": "alice", "password": alice.password}
    assert (await client.post("/login", data=form)).status_code == 429
    # ...while alice, from her own browser, still signs in (no lock-out for everyone).
    async with browser(app) as own:
        await sign_in(own, "alice", alice.password)


async def test_a_person_without_a_password_cannot_be_asked_with_a_user_code(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    # An account made through a social provider: no password verifies against it.
    await app.state.runtime.accounts.register_without_password("carol")
    ciba = await coded_client(client)
    refused = await backchannel_request(client, ciba, login_hint="carol", user_code="anything")
    assert error_of(refused) == "invalid_user_code"


async def test_a_developer_chooses_user_codes_for_an_app(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await sign_in(client, "alice")
    page = await client.get("/developer/apps/new")
    assert "Ask for the person's code" in text_of(page)
    form = {
        "csrf_token": csrf_of(page),
        "name": "Call centre",
        "client_type": "confidential",
        "redirect_uris": "",
        f"grant_{GRANT_TYPE}": "on",
        "scope_activities:read": "on",
        "token_format": "jwt",
        "auth_method": "client_secret_basic",
        "backchannel_token_delivery_mode": "poll",
        "backchannel_user_code_parameter": "on",
    }
    created = await client.post("/developer/apps/new", data=form)
    assert created.status_code == 201, created.text
    [stored] = await app.state.runtime.oauth.clients.by_owner(alice.id)
    assert stored.meta("backchannel_user_code_parameter") is True
    edit = await client.get(f"/developer/apps/{stored.client_id}")
    assert re.search(r'name="backchannel_user_code_parameter" value="on"\s+checked', edit.text)


async def test_with_user_codes_off_they_are_neither_offered_nor_registered(
    settings: Settings,
) -> None:
    async with app_with(settings, ciba_user_code="off") as (app, client):
        discovery = (await client.get("/.well-known/openid-configuration")).json()
        assert discovery["backchannel_user_code_parameter_supported"] is False
        refused = await client.post("/o/register", json=registration())
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_client_metadata"
        assert "checks no user codes" in refused.json()["error_description"]
        await register(client, "dora")
        async with browser(app) as dora:
            await sign_in(dora, "dora")
            page = await dora.get("/developer/apps/new")
            assert "Backchannel authentication (CIBA)" in text_of(page)
            assert "backchannel_user_code_parameter" not in page.text
