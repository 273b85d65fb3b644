"""A client's CIBA settings (CIBA Core §4) through each way of registering it: dynamic
registration (RFC 7591) and the developer pages; the CLI is in tests/cli/test_clients_cli.py."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.ciba import GRANT_TYPE
from tests.conftest import Account
from tests.support.ciba import CibaClient, backchannel_request
from tests.support.pages import csrf_of, sign_in, text_of

pytestmark = pytest.mark.anyio

_CLIENT_ID = re.compile(r'<code class="value" id="client_id">([^<]+)</code>')
_SECRET = re.compile(r'<code class="secret" id="client_secret">([^<]+)</code>')


def registration(mode: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_name": "Kiosk",
        "grant_types": [GRANT_TYPE],
        "scope": "openid activities:read",
        "backchannel_token_delivery_mode": mode,
        **extra,
    }


async def test_dynamic_registration_takes_and_answers_the_backchannel_metadata(
    client: httpx.AsyncClient, alice: Account
) -> None:
    endpoint = "https://kiosk.example/ciba"
    answer = await client.post(
        "/o/register",
        json=registration("ping", backchannel_client_notification_endpoint=endpoint),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["grant_types"] == [GRANT_TYPE]
    assert body["backchannel_token_delivery_mode"] == "ping"
    assert body["backchannel_client_notification_endpoint"] == endpoint
    ciba = CibaClient(body["client_id"], body["client_secret"])
    started = await backchannel_request(client, ciba, client_notification_token="t")
    assert started.status_code == 200, started.text


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(registration("poll", backchannel_token_delivery_mode=None), id="no mode"),
        pytest.param(registration("push"), id="push without an endpoint"),
        pytest.param(registration("fax"), id="an unknown mode"),
        pytest.param(
            registration("ping", backchannel_client_notification_endpoint="http://kiosk.example/"),
            id="an http endpoint",
        ),
        pytest.param(
            {**registration("poll"), "token_endpoint_auth_method": "none"}, id="a public client"
        ),
    ],
)
async def test_dynamic_registration_refuses_backchannel_metadata_that_does_not_fit(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    answer = await client.post("/o/register", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"


def app_form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "name": "Front desk",
        "client_type": "confidential",
        "redirect_uris": "",
        f"grant_{GRANT_TYPE}": "on",
        "scope_activities:read": "on",
        "token_format": "jwt",
        "auth_method": "client_secret_basic",
        **fields,
    }


async def test_a_developer_registers_a_push_app_and_switches_it_to_poll(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await sign_in(client, "alice")
    form_page = await client.get("/developer/apps/new")
    assert "Backchannel authentication (CIBA)" in text_of(form_page)
    created = await client.post(
        "/developer/apps/new",
        data=app_form(
            csrf_of(form_page),
            backchannel_token_delivery_mode="push",
            backchannel_client_notification_endpoint="https://desk.example/ciba",
        ),
    )
    assert created.status_code == 201, created.text
    found = _CLIENT_ID.search(created.text)
    assert found is not None
    client_id = found.group(1)
    stored = await app.state.runtime.oauth.clients.get(client_id)
    assert stored.grant_types == {GRANT_TYPE}
    assert stored.meta("backchannel_token_delivery_mode") == "push"
    assert stored.meta("backchannel_client_notification_endpoint") == "https://desk.example/ciba"

    edit = await client.get(f"/developer/apps/{client_id}")
    assert re.search(r'value="push"\s+checked', edit.text)  # the form shows what is registered
    changed = await client.post(
        f"/developer/apps/{client_id}",
        data=app_form(csrf_of(edit), backchannel_token_delivery_mode="poll"),
    )
    assert changed.status_code == 303, changed.text
    stored = await app.state.runtime.oauth.clients.get(client_id)
    assert stored.meta("backchannel_token_delivery_mode") == "poll"
    assert stored.meta("backchannel_client_notification_endpoint") is None


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, "needs backchannel_token_delivery_mode"),
        ({"backchannel_token_delivery_mode": "ping"}, "needs backchannel_client_notification"),
        (
            {
                "backchannel_token_delivery_mode": "poll",
                "backchannel_client_notification_endpoint": "https://desk.example/ciba",
            },
            "is for ping and push, not poll",
        ),
    ],
)
async def test_the_developer_form_says_what_does_not_fit(
    app: Starlette, client: httpx.AsyncClient, alice: Account, fields: dict[str, str], problem: str
) -> None:
    await sign_in(client, "alice")
    csrf = csrf_of(await client.get("/developer/apps/new"))
    refused = await client.post("/developer/apps/new", data=app_form(csrf, **fields))
    assert refused.status_code == 400
    assert problem in text_of(refused)
    assert await app.state.runtime.oauth.clients.by_owner(alice.id) == []
