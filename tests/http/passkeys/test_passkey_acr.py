"""What a passkey sign-in tells apps: ID tokens at the two-factor level with ``amr`` naming the
key (RFC 8176 ``hwk``, ``mfa``), and a password session stepped up by a passkey when an app's
``acr_values`` ask for two factors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.oidc.acr import PASSWORD_ACR, TWO_FACTOR_ACR
from stint.web.second_step import SECOND_FACTOR_PATH
from tests.conftest import Account
from tests.http.passkeys.test_passkeys import ORIGIN, enrol, options
from tests.oidc.support import (
    authorization_url,
    oidc_client,
    redeem_code,
    redirect_params,
    unverified,
)
from tests.support.flows import decide
from tests.support.pages import browser, csrf_of, sign_in
from tests.support.webauthn import SoftAuthenticator

pytestmark = pytest.mark.anyio


async def test_a_passkey_sign_in_meets_two_factor_acr_values_at_once(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    authenticator = SoftAuthenticator(ORIGIN)
    async with browser(app) as b:
        await sign_in(b, "alice")
        await enrol(b, authenticator)
    async with browser(app) as b:
        url = authorization_url(rp.client_id, acr_values=TWO_FACTOR_ACR)
        to_login = await b.get(url)
        next_url = parse_qs(urlsplit(to_login.headers["location"]).query)["next"][0]
        csrf = csrf_of(await b.get("/login", params={"next": next_url}))
        response = authenticator.get(await options(b, "/login/passkey/options", csrf))
        signed = await b.post(
            "/login/passkey", data={"csrf_token": csrf, "credential": response, "next": next_url}
        )
        assert signed.json() == {"redirect": next_url}
        consent = await b.get(next_url)  # no second factor asked: the passkey was two
        params = redirect_params(await decide(b, consent), rp.redirect_uri)
    answer = await redeem_code(client, rp, params["code"])
    claims = unverified(answer.json()["id_token"])[1]
    assert (claims["acr"], claims["amr"]) == (TWO_FACTOR_ACR, ["hwk", "mfa"])


async def test_a_passkey_steps_a_password_session_up_to_two_factors(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    authenticator = SoftAuthenticator(ORIGIN, backup_eligible=True)  # a synced passkey
    async with browser(app) as b:
        await sign_in(b, "alice")  # a password session, which then adds a passkey
        await enrol(b, authenticator)
        url = authorization_url(rp.client_id, acr_values=f"{TWO_FACTOR_ACR} {PASSWORD_ACR}")
        asked = await b.get(url)
        assert urlsplit(asked.headers["location"]).path == SECOND_FACTOR_PATH
        csrf = csrf_of(await b.get(asked.headers["location"]))
        response = authenticator.get(
            await options(b, f"{SECOND_FACTOR_PATH}/passkey/options", csrf)
        )
        done = await b.post(
            f"{SECOND_FACTOR_PATH}/passkey", data={"csrf_token": csrf, "credential": response}
        )
        resumed = done.json()["redirect"]
        assert resumed.startswith("/o/authorize/?")
        params = redirect_params(await decide(b, await b.get(resumed)), rp.redirect_uri)
    answer = await redeem_code(client, rp, params["code"])
    claims = unverified(answer.json()["id_token"])[1]
    assert claims["acr"] == TWO_FACTOR_ACR
    assert claims["amr"] == ["pwd", "swk", "mfa"]
