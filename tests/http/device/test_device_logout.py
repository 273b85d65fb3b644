"""A device approved on /device takes part in the browser session that approved it: ending that
session tells the device's client over back-channel logout, as for the code flow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from stint.settings import Settings
from tests.conftest import Account
from tests.oidc.logout_support import LogoutReceiver, serve_logout_receiver, verified
from tests.support.apps import app_with
from tests.support.device import answer, device_client, enter_code, poll, start
from tests.support.pages import browser, csrf_of, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    yield from serve_logout_receiver()


async def test_signing_out_of_the_approving_session_tells_the_device_client(
    settings: Settings, alice: Account, receiver: LogoutReceiver
) -> None:
    async with app_with(
        settings, outbound_allow_private_addresses=True, backchannel_logout_retry_seconds=0.05
    ) as (app, client):
        client_id = await device_client(app, name="Hall display")
        clients = app.state.runtime.oauth.clients
        registered = await clients.get(client_id)
        await clients.update(replace(registered, metadata={"backchannel_logout_uri": receiver.url}))
        codes = (await start(client, client_id)).json()
        async with browser(app) as person:
            await sign_in(person, "alice")
            await answer(person, await enter_code(person, codes["user_code"]))
            tokens = (await poll(client, client_id, codes["device_code"])).json()
            account = await person.get("/account")
            await person.post("/logout", data={"csrf_token": csrf_of(account)})
        [post] = await receiver.wait_for(1)
        _, logout = await verified(client, post.logout_token)
        _, id_token = await verified(client, tokens["id_token"])
    assert logout["aud"] == client_id
    assert (logout["sub"], logout["sid"]) == (id_token["sub"], id_token["sid"])
