"""prompt=login and max_age (OIDC Core §3.1.2.1) demand a sign-in newer than the request: the
URL the sign-in page comes back to carries a signed "authenticated after T" marker, and the
request is approved only for a session that signed in after T. Going straight back to that URL,
forging the marker or moving it to another request gets the browser sent to sign in again."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import PASSWORD, Account
from tests.oidc.support import (
    CodeFlow,
    OidcClient,
    authorization_url,
    code_flow,
    oidc_client,
    reauthenticate,
    redeem_code,
    redirect_params,
    verify_id_token,
)
from tests.support.pages import browser, hidden_inputs

pytestmark = pytest.mark.anyio

MARKER = "stint_auth_after"


def _to_sign_in(answer: httpx.Response) -> str:
    """``answer`` sends the browser to sign in again; returns the URL it would come back to."""
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    assert location.path == "/login", answer.headers["location"]
    assert parse_qs(location.query)["reauth"] == ["1"]
    return parse_qs(location.query)["next"][0]


def _with(url: str, **changes: str) -> str:
    params = dict(parse_qsl(urlsplit(url).query))
    return "/o/authorize/?" + urlencode(params | changes)


async def _consented(
    app: Starlette, client: httpx.AsyncClient, b: httpx.AsyncClient
) -> tuple[OidcClient, CodeFlow]:
    """A client Alice signed in to and consented to, in browser ``b``: no page next time."""
    rp = await oidc_client(app)
    return rp, await code_flow(client, b, rp, "alice")


@pytest.mark.parametrize("demand", [{"prompt": "login"}, {"max_age": "0"}])
async def test_the_url_back_from_sign_in_is_not_approved_on_the_old_session(
    app: Starlette, client: httpx.AsyncClient, alice: Account, demand: dict[str, str]
) -> None:
    async with browser(app) as b:
        rp, _ = await _consented(app, client, b)
        back = _to_sign_in(await b.get(_with(authorization_url(rp.client_id), **demand)))
        # Straight back, without signing in: still the old session, so sign in again.
        again = _to_sign_in(await b.get(back))
    assert urlsplit(again).path == "/o/authorize/"


async def test_a_forged_marker_is_refused(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        rp, _ = await _consented(app, client, b)
        back = _to_sign_in(await b.get(authorization_url(rp.client_id, prompt="login")))
        stamp, _, mac = dict(parse_qsl(urlsplit(back).query))[MARKER].partition(".")
        for forged in (f"{stamp}.{'A' * 43}", "0", f"{int(stamp) - 10**9}.{mac}"):
            _to_sign_in(await b.get(_with(back, **{MARKER: forged})))
        # A marker made up from nothing, on the original request.
        url = authorization_url(rp.client_id, prompt="login")
        _to_sign_in(await b.get(_with(url, **{MARKER: f"0.{mac}"})))


async def test_a_marker_moved_to_another_request_is_refused(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        rp, _ = await _consented(app, client, b)
        back = _to_sign_in(await b.get(authorization_url(rp.client_id, prompt="login")))
        await _sign_in_again(b, back)  # a fresh session: the marker holds for its request
        marker = dict(parse_qsl(urlsplit(back).query))[MARKER]
        other = authorization_url(rp.client_id, prompt="login", state="another", max_age="0")
        _to_sign_in(await b.get(_with(other, **{MARKER: marker})))


async def _sign_in_again(b: httpx.AsyncClient, back: str) -> None:
    page = await b.get("/login", params={"next": back, "reauth": "1"})
    form = hidden_inputs(page.text)
    signed_in = await b.post("/login", data={**form, "username": "alice", "password": PASSWORD})
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == back


@pytest.mark.parametrize("demand", [{"prompt": "login"}, {"max_age": "0"}])
async def test_signing_in_again_answers_the_request_without_a_loop(
    app: Starlette, client: httpx.AsyncClient, alice: Account, demand: dict[str, str]
) -> None:
    async with browser(app) as b:
        rp, first = await _consented(app, client, b)
        answer = await b.get(_with(authorization_url(rp.client_id), **demand))
        params = redirect_params(await reauthenticate(b, answer, "alice"))
    tokens = (await redeem_code(client, rp, params["code"])).json()
    verified = await verify_id_token(
        client, tokens["id_token"], rp.client_id, access_token=tokens["access_token"]
    )
    assert verified.claims["sid"] != first.claims["sid"]  # answered for the session just signed in


async def test_prompt_login_on_the_consent_form_is_enforced_too(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """The consent form's approval obeys prompt=login like the GET does: a browser with an old
    session cannot post an approval of a request that demands a fresh sign-in."""
    async with browser(app) as b:
        await _consented(app, client, b)  # signed in
        newcomer = await oidc_client(app, name="Not yet consented")
        page = await b.get(authorization_url(newcomer.client_id))
        assert 'name="decision"' in page.text, page.text
        form = hidden_inputs(page.text) | {"prompt": "login", "decision": "approve"}
        answer = await b.post("/o/authorize/", data=form)
    _to_sign_in(answer)
