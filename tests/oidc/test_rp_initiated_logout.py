"""OpenID Connect RP-Initiated Logout 1.0 end to end: /o/logout/ (the end_session_endpoint).

Tests are named after the OpenID Foundation conformance-suite modules they mirror
(oidcc-rp-initiated-logout-certification-test-plan); the others pin Stint's own choices.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette

from stint.web.sessions import SESSION_COOKIE
from tests.conftest import Account
from tests.oidc.logout_support import (
    POST_LOGOUT_URI,
    confirm_sign_out,
    id_token_for,
    relying_party,
)
from tests.support.pages import browser, hidden_inputs, text_of

pytestmark = pytest.mark.anyio


def logout_url(**params: str) -> str:
    return "/o/logout/?" + urlencode(params) if params else "/o/logout/"


async def signed_in_to_rp(
    app: Starlette, client: httpx.AsyncClient, b: httpx.AsyncClient, user: Account, **metadata: Any
) -> tuple[str, str]:
    """An RP registering ``POST_LOGOUT_URI`` (unless ``metadata`` says otherwise) that ``b``
    signed in to; (client_id, id_token)."""
    metadata.setdefault("post_logout_redirect_uris", [POST_LOGOUT_URI])
    client_id, secret = await relying_party(app, **metadata)
    return client_id, await id_token_for(client, b, user, client_id, secret)


async def assert_signed_in(app: Starlette, b: httpx.AsyncClient, user: Account) -> None:
    assert (await b.get("/account")).status_code == 200
    assert await app.state.runtime.oauth.sessions.for_user(user.id) != []


async def assert_signed_out(app: Starlette, b: httpx.AsyncClient, user: Account) -> None:
    assert SESSION_COOKIE not in b.cookies
    assert (await b.get("/account")).status_code == 303
    assert await app.state.runtime.oauth.sessions.for_user(user.id) == []


def assert_error_page(page: httpx.Response) -> None:
    """An error shown to the user; never a redirect to the post_logout_redirect_uri."""
    assert page.status_code == 400, page.text
    assert "location" not in page.headers
    assert "This sign-out link is not valid" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_oidcc_rp_initiated_logout(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        url = logout_url(
            id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT_URI, state="s t&ate"
        )
        page = await b.get(url)
        assert "Sign out of Stint?" in text_of(page)
        assert "Logout RP asks to sign you out." in text_of(page)
        await assert_signed_in(app, b, alice)  # nothing happens until the user confirms

        answer = await confirm_sign_out(b, page)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=s+t%26ate"
        await assert_signed_out(app, b, alice)
        sid = _claims(id_token)["sid"]
        assert await app.state.runtime.oauth.session_clients.clients(sid) == []


async def test_oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        url = logout_url(
            id_token_hint=id_token,
            post_logout_redirect_uri="https://attacker.example/signed-out",
            state="xyz",
        )
        page = await b.get(url)
        assert_error_page(page)
        assert "post_logout_redirect_uri is not registered" in page.text
        await assert_signed_in(app, b, alice)


async def test_oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        url = logout_url(
            id_token_hint=id_token,
            post_logout_redirect_uri=f"{POST_LOGOUT_URI}?extra=1",
            state="xyz",
        )
        assert_error_page(await b.get(url))  # §3: an exact match, query included
        await assert_signed_in(app, b, alice)


async def test_oidcc_rp_initiated_logout_modified_id_token_hint(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        header, payload, signature = id_token.split(".")
        flipped = "AAAA" if signature[-4:] != "AAAA" else "BBBB"
        forged = f"{header}.{payload}.{signature[:-4]}{flipped}"
        url = logout_url(
            id_token_hint=forged, post_logout_redirect_uri=POST_LOGOUT_URI, state="xyz"
        )
        page = await b.get(url)
        assert_error_page(page)
        assert "id_token_hint has a bad signature" in page.text
        await assert_signed_in(app, b, alice)


async def test_oidcc_rp_initiated_logout_bad_id_token_hint(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        await signed_in_to_rp(app, client, b, alice)
        url = logout_url(
            id_token_hint="not-a-jwt", post_logout_redirect_uri=POST_LOGOUT_URI, state="xyz"
        )
        assert_error_page(await b.get(url))
        await assert_signed_in(app, b, alice)


async def test_oidcc_rp_initiated_logout_no_id_token_hint(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        await signed_in_to_rp(app, client, b, alice)
        # Nothing says whose URI this is: the OP must not redirect there (§2).
        url = logout_url(post_logout_redirect_uri=POST_LOGOUT_URI, state="xyz")
        page = await b.get(url)
        assert_error_page(page)
        assert "needs an id_token_hint or client_id" in page.text
        await assert_signed_in(app, b, alice)


async def test_oidcc_rp_initiated_logout_no_params(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        await signed_in_to_rp(app, client, b, alice)
        page = await b.get(logout_url())
        assert "asks to sign you out" not in page.text
        answer = await confirm_sign_out(b, page)
        assert answer.status_code == 200
        assert "You are signed out" in text_of(answer)
        await assert_signed_out(app, b, alice)


async def test_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        answer = await confirm_sign_out(b, await b.get(logout_url(id_token_hint=id_token)))
        assert answer.status_code == 200
        assert "location" not in answer.headers
        assert "You are signed out" in text_of(answer)
        assert "go back to Logout RP" in text_of(answer)
        await assert_signed_out(app, b, alice)


async def test_oidcc_rp_initiated_logout_no_state(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        url = logout_url(id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT_URI)
        answer = await confirm_sign_out(b, await b.get(url))
        assert answer.status_code == 303
        assert answer.headers["location"] == POST_LOGOUT_URI
        await assert_signed_out(app, b, alice)


async def test_oidcc_rp_initiated_logout_only_state(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        await signed_in_to_rp(app, client, b, alice)
        answer = await confirm_sign_out(b, await b.get(logout_url(state="xyz")))
        assert answer.status_code == 200
        assert "You are signed out" in text_of(answer)
        await assert_signed_out(app, b, alice)


async def test_client_id_identifies_the_app_without_an_id_token_hint(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        client_id, _ = await signed_in_to_rp(app, client, b, alice)
        url = logout_url(client_id=client_id, post_logout_redirect_uri=POST_LOGOUT_URI, state="1")
        answer = await confirm_sign_out(b, await b.get(url))
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=1"
        await assert_signed_out(app, b, alice)


async def test_a_client_id_that_is_not_the_hints_audience_is_refused(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        other_id, _ = await relying_party(
            app, "Other RP", post_logout_redirect_uris=["https://other.example/bye"]
        )
        url = logout_url(
            id_token_hint=id_token,
            client_id=other_id,
            post_logout_redirect_uri="https://other.example/bye",
        )
        page = await b.get(url)
        assert_error_page(page)
        assert "client_id does not match the id_token_hint" in page.text


async def test_a_registered_uri_keeps_its_own_query_and_gets_state_added(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    registered = "https://app.example/signed-out?tenant=acme"
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(
            app, client, b, alice, post_logout_redirect_uris=[registered]
        )
        url = logout_url(id_token_hint=id_token, post_logout_redirect_uri=registered, state="s1")
        answer = await confirm_sign_out(b, await b.get(url))
        assert answer.headers["location"] == f"{registered}&state=s1"


async def test_a_browser_that_is_not_signed_in_goes_straight_back(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
    async with browser(app) as fresh:
        url = logout_url(
            id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT_URI, state="1"
        )
        answer = await fresh.get(url)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=1"
        assert "You are signed out" in text_of(await fresh.get(logout_url()))


async def test_without_an_id_token_hint_a_signed_out_browser_goes_back_only_once_confirmed(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        client_id, _ = await signed_in_to_rp(app, client, b, alice)
    async with browser(app) as fresh:
        url = logout_url(client_id=client_id, post_logout_redirect_uri=POST_LOGOUT_URI, state="7")
        page = await fresh.get(url)
        # §2: nothing proves the app sent this link, so the browser is not bounced on at once.
        assert page.status_code == 200, page.text
        assert "location" not in page.headers
        assert "Go back to Logout RP" in text_of(page)
        answer = await fresh.post(
            "/o/logout/", data={**hidden_inputs(page.text), "decision": "sign_out"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=7"


async def test_the_sign_out_page_has_one_sign_out_action_and_it_keeps_the_apps_redirect(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        url = logout_url(
            id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT_URI, state="one"
        )
        page = await b.get(url)
        assert page.status_code == 200, page.text
        # The header's "Sign out alice" (to /logout, then /login) would drop the app's redirect.
        forms = re.findall(r"<form\b[^>]*>", page.text)
        assert forms == ['<form method="post" action="/o/logout/">'], forms
        buttons = re.findall(r"<button\b[^>]*>([^<]*)</button>", page.text)
        assert buttons == ["Sign out", "Stay signed in"], buttons
        answer = await confirm_sign_out(b, page)
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=one"


async def test_confirming_needs_the_csrf_field(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        fields = {"id_token_hint": id_token, "decision": "sign_out"}
        refused = await b.post("/o/logout/", data=fields)
        assert refused.status_code == 403
        forged = await b.post("/o/logout/", data={**fields, "csrf_token": "0" * 64})
        assert forged.status_code == 403
        await assert_signed_in(app, b, alice)


async def test_staying_signed_in(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        url = logout_url(id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT_URI)
        answer = await confirm_sign_out(b, await b.get(url), decision="stay")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/account"
        await assert_signed_in(app, b, alice)


async def test_an_rp_may_post_the_request(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    async with browser(app) as b:
        _, id_token = await signed_in_to_rp(app, client, b, alice)
        fields = {"id_token_hint": id_token, "post_logout_redirect_uri": POST_LOGOUT_URI}
        # A cross-site form POST comes without the SameSite=Lax session cookie: Stint answers
        # with a GET to itself, which carries it, and asks there.
        posted = await b.post("/o/logout/", data={**fields, "state": "p"})
        assert posted.status_code == 303
        assert posted.headers["location"] == "/o/logout/?" + urlencode({**fields, "state": "p"})
        answer = await confirm_sign_out(b, await b.get(posted.headers["location"]))
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=p"
        await assert_signed_out(app, b, alice)


def _claims(token: str) -> dict[str, str]:
    payload = token.split(".")[1]
    claims: dict[str, str] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return claims
