"""Claims asked for by name with the ``claims`` parameter (OIDC Core §5.5) are released only
once the user agreed to them: the consent page lists them, remembered consent covers them, and
``prompt=none`` asking for more than was agreed is ``consent_required`` (§3.1.2.6)."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account
from tests.oidc.support import (
    FULL_PROFILE,
    ISSUER,
    STATE,
    authorization_url,
    code_flow,
    give_profile,
    oidc_client,
    redeem_code,
    redirect_params,
    userinfo,
)
from tests.support.flows import decide, open_authorize
from tests.support.pages import browser

pytestmark = pytest.mark.anyio

CONTACT_CLAIMS = json.dumps(
    {"userinfo": {"email": None, "phone_number": None, "preferred_username": None}}
)


def _error(answer: httpx.Response) -> str:
    params = redirect_params(answer)
    assert params["state"] == STATE
    assert params["iss"] == ISSUER
    assert "code" not in params, params
    return params["error"]


async def test_prompt_none_asking_for_claims_beyond_consent_is_consent_required(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice")  # the user consents to openid alone
        answer = await b.get(authorization_url(rp.client_id, prompt="none", claims=CONTACT_CLAIMS))
    assert _error(answer) == "consent_required"


async def test_claims_asked_for_by_name_are_asked_of_the_user_even_after_a_consent(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice")
        page = await b.get(authorization_url(rp.client_id, claims=CONTACT_CLAIMS))
    assert page.status_code == 200, page.text
    assert 'name="decision"' in page.text  # the consent page, not a code
    for claim in ("email", "phone_number", "preferred_username"):
        assert f'data-claim="{claim}"' in page.text


async def test_approved_claims_are_released_and_remembered(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    url = authorization_url(rp.client_id, claims=CONTACT_CLAIMS)
    async with browser(app) as b:
        page = await open_authorize(b, url, "alice")
        assert 'data-claim="email"' in page.text
        params = redirect_params(await decide(b, page))
        silent = await b.get(authorization_url(rp.client_id, prompt="none", claims=CONTACT_CLAIMS))
    tokens = (await redeem_code(client, rp, params["code"])).json()
    info = await userinfo(client, tokens["access_token"])
    assert info["email"] == FULL_PROFILE["email"]
    assert info["phone_number"] == FULL_PROFILE["phone_number"]
    assert info["preferred_username"] == "alice"
    assert "code" in redirect_params(silent)  # remembered: no page the second time


async def test_a_denied_consent_page_with_claims_remembers_nothing(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice")
        page = await b.get(authorization_url(rp.client_id, claims=CONTACT_CLAIMS))
        assert _error(await decide(b, page, "deny")) == "access_denied"
        answer = await b.get(authorization_url(rp.client_id, prompt="none", claims=CONTACT_CLAIMS))
    assert _error(answer) == "consent_required"


async def test_a_consented_scope_covers_the_claims_it_names(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    email_by_name = json.dumps({"userinfo": {"email": None}, "id_token": {"email": None}})
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice", scope="openid email")
        answer = await b.get(authorization_url(rp.client_id, prompt="none", claims=email_by_name))
    assert "code" in redirect_params(answer)


async def test_claims_asked_for_the_id_token_need_consent_too(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    in_id_token = json.dumps({"id_token": {"address": {"essential": True}}})
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice")
        answer = await b.get(authorization_url(rp.client_id, prompt="none", claims=in_id_token))
    assert _error(answer) == "consent_required"


async def test_protocol_claims_asked_for_by_name_need_no_consent(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """sub, auth_time, acr and the like say nothing about the user beyond the sign-in (§2)."""
    rp = await oidc_client(app)
    protocol_only = json.dumps({"id_token": {"auth_time": {"essential": True}, "acr": None}})
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice")
        answer = await b.get(authorization_url(rp.client_id, prompt="none", claims=protocol_only))
    assert "code" in redirect_params(answer)
