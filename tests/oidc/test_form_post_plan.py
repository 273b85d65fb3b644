"""Modelled on the OIDF Form Post OP plans (tests/oidc/OIDF_PLANS.md §6):
``oidcc-formpost-basic``, ``-implicit`` and ``-hybrid``, i.e. the Basic, Implicit and Hybrid
plans with ``response_mode=form_post`` (OAuth 2.0 Form Post Response Mode). Every response,
success or error, must reach the redirect URI as an auto-submitted POST of exactly the response
members, nothing in its URL.

In-process, the page is parsed; the last test drives headless Chromium against a live server and
a relying party listening on 127.0.0.1, to see the browser really post the form under our CSP.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import ConsoleMessage, expect
from starlette.applications import Starlette

from stint.settings import Settings
from tests.browser.support import fill_login_form
from tests.conftest import Account, LiveServer
from tests.oidc.flows_support import (
    ERROR_MEMBERS,
    HYBRID_TYPES,
    IMPLICIT_TYPES,
    LOGIN_REQUIRED_FAMILY,
    expected_members,
    form_post,
    parse_form_post,
)
from tests.oidc.support import (
    ISSUER,
    NONCE,
    STATE,
    authorization_url,
    authorize,
    half_hash,
    oidc_client,
    redeem_code,
    verify_id_token,
)
from tests.support.flows import decide, open_authorize
from tests.support.pages import browser
from tests.support.pkce import new_pkce

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The Form Post plan runs every response type, front-channel access tokens included,
    which the operator must enable (off by default, RFC 9700 §2.1.2)."""
    return settings.model_copy(update={"implicit_enabled": True})


FORM_POST_SCRIPT = "/static/form_post.js"
FORM_ID = "form-post-response"  # what the script submits
_PLANS = {"code": "basic", **dict.fromkeys(IMPLICIT_TYPES, "implicit")}
ALL_TYPES = [
    pytest.param(rt, id=f"{_PLANS.get(rt, 'hybrid')}-{rt.replace(' ', '_')}")
    for rt in ("code", *IMPLICIT_TYPES, *HYBRID_TYPES)
]
WITH_FRONT_ID_TOKEN = [p for p in ALL_TYPES if "id_token" in str(p.values[0]).split()]


def form_post_query(client_id: str, response_type: str | None, **extra: Any) -> str:
    return authorization_url(
        client_id, response_type=response_type, response_mode="form_post", **extra
    )


def assert_csp_intact(response: httpx.Response) -> None:
    """The page runs its one script under our usual policy: nothing inline is allowed."""
    [policy] = response.headers.get_list("content-security-policy")
    directives = {parts[0]: parts[1:] for parts in (d.split() for d in policy.split(";")) if parts}
    assert directives["default-src"] == ["'self'"], policy
    assert "script-src" not in directives and "script-src-elem" not in directives, policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, policy
    assert response.headers["x-frame-options"] == "DENY"


def assert_only_the_form_post_script(response: httpx.Response) -> None:
    page = parse_form_post(response.text)
    assert page.scripts == [{"src": FORM_POST_SCRIPT, "defer": ""}], page.scripts
    assert page.inline_script_text == []
    assert page.inline_handlers == []
    assert page.styles == []
    assert page.resources == [FORM_POST_SCRIPT]
    assert [form.get("id") for form in page.forms] == [FORM_ID]


@pytest.mark.parametrize("response_type", ALL_TYPES)
async def test_oidcc_server(
    app: Starlette, client: httpx.AsyncClient, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        answer = await authorize(b, form_post_query(rp.client_id, response_type), "alice")
    fields = form_post(answer)  # 200, no-store, one POST form to the redirect URI

    assert_csp_intact(answer)
    assert_only_the_form_post_script(answer)
    assert set(fields) == expected_members(response_type)
    assert fields["state"] == STATE
    assert fields["iss"] == ISSUER
    if "id_token" in fields:  # at_hash and c_hash exactly when a token and a code came with it
        await verify_id_token(
            client,
            fields["id_token"],
            rp.client_id,
            access_token=fields.get("access_token"),
            code=fields.get("code"),
        )
    if "code" in fields:
        redeemed = await redeem_code(client, rp, fields["code"])
        assert redeemed.status_code == 200, redeemed.text
        body = redeemed.json()
        await verify_id_token(
            client, body["id_token"], rp.client_id, access_token=body["access_token"]
        )


async def test_the_form_post_script_is_served_and_submits_the_form(
    client: httpx.AsyncClient,
) -> None:
    script = await client.get(FORM_POST_SCRIPT)
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert f'getElementById("{FORM_ID}").submit()' in script.text


@pytest.mark.parametrize("response_type", ALL_TYPES)
async def test_oidcc_prompt_none_not_logged_in(
    app: Starlette, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    state = "s" * 128
    url = form_post_query(rp.client_id, response_type, state=state, prompt="none")
    async with browser(app) as b:
        answer = await b.get(url)
    fields = form_post(answer)
    assert_csp_intact(answer)
    assert_only_the_form_post_script(answer)
    assert fields["error"] in LOGIN_REQUIRED_FAMILY
    assert set(fields) == ERROR_MEMBERS
    assert fields["state"] == state
    assert fields["iss"] == ISSUER


@pytest.mark.parametrize("response_type", WITH_FRONT_ID_TOKEN)
async def test_oidcc_ensure_request_without_nonce_fails(
    app: Starlette, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        answer = await authorize(
            b, form_post_query(rp.client_id, response_type, nonce=None), "alice"
        )
    fields = form_post(answer)
    assert fields["error"] == "invalid_request"
    assert set(fields) == ERROR_MEMBERS
    assert fields["state"] == STATE


@pytest.mark.parametrize(
    "registered",
    [
        pytest.param(rt, id=f"{_PLANS.get(rt, 'hybrid')}-{rt.replace(' ', '_')}")
        for rt in ("code", "id_token token", "code id_token")
    ],
)
async def test_oidcc_response_type_missing(app: Starlette, alice: Account, registered: str) -> None:
    rp = await oidc_client(app, response_types=(registered,))
    async with browser(app) as b:
        answer = await authorize(b, form_post_query(rp.client_id, None), "alice")
    fields = form_post(answer)
    assert fields["error"] in ("invalid_request", "unsupported_response_type")
    assert set(fields) == ERROR_MEMBERS
    assert fields["state"] == STATE


@pytest.mark.parametrize("response_type", ["code", "code id_token token"])
async def test_a_denial_arrives_by_form_post(
    app: Starlette, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        consent = await open_authorize(b, form_post_query(rp.client_id, response_type), "alice")
        answer = await decide(b, consent, "deny")
    fields = form_post(answer)
    assert set(fields) == ERROR_MEMBERS
    assert fields["error"] == "access_denied"
    assert fields["state"] == STATE
    assert fields["iss"] == ISSUER


async def test_state_with_markup_comes_back_exactly_and_escaped(
    app: Starlette, alice: Account
) -> None:
    """The values are attribute-escaped: a state cannot end the attribute or add a script."""
    rp = await oidc_client(app, response_types=("code id_token",))
    state = "\"'><script>alert(1)</script>&amp;<!--"
    async with browser(app) as b:
        answer = await authorize(
            b, form_post_query(rp.client_id, "code id_token", state=state), "alice"
        )
    fields = form_post(answer)
    assert fields["state"] == state
    assert "<script>alert" not in answer.text
    assert_only_the_form_post_script(answer)


async def test_discovery_lists_form_post(client: httpx.AsyncClient) -> None:
    document = (await client.get("/.well-known/openid-configuration")).json()
    assert "form_post" in document["response_modes_supported"]
    for response_type in ("code", *IMPLICIT_TYPES, *HYBRID_TYPES):
        assert response_type in document["response_types_supported"]


# --- In a real browser -----------------------------------------------------------------------
# Last in the module: the sync Playwright fixture keeps an event loop open in this thread until
# the module ends, which no asyncio test may run under.


@dataclass(frozen=True)
class Posted:
    path: str
    query: str
    content_type: str
    form: dict[str, list[str]]


class RelyingParty:
    """A client's redirect URI on 127.0.0.1 that records every POST it receives."""

    def __init__(self) -> None:
        self.posts: list[Posted] = []
        self.other_requests: list[str] = []
        self.arrived = threading.Event()
        rp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("ascii")
                parts = urlsplit(self.path)
                rp.posts.append(
                    Posted(
                        parts.path,
                        parts.query,
                        self.headers.get("Content-Type", ""),
                        parse_qs(body, keep_blank_values=True),
                    )
                )
                self._page()
                rp.arrived.set()

            def do_GET(self) -> None:
                if self.path != "/favicon.ico":  # the browser asks for it on its own
                    rp.other_requests.append(f"GET {self.path}")
                self.send_error(404)

            def _page(self) -> None:
                page = b"<!doctype html><title>Back in the app</title><h1>Back in the app</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/callback"


@pytest.fixture
def relying_party() -> Iterator[RelyingParty]:
    rp = RelyingParty()
    thread = threading.Thread(target=rp.server.serve_forever, daemon=True)
    thread.start()
    yield rp
    rp.server.shutdown()
    rp.server.server_close()
    thread.join(timeout=5)


def test_chromium_posts_the_code_state_and_iss_to_the_relying_party(
    chromium: Chromium,
    live_server: LiveServer,
    relying_party: RelyingParty,
) -> None:
    live_server.create_user("form-post")
    client_id, secret = live_server.create_client(
        "Form Post RP", "--redirect-uri", relying_party.redirect_uri, "--scope", "activities:read"
    )
    assert secret is not None
    pkce = new_pkce()
    state = secrets.token_urlsafe(16)
    url = f"{live_server.base_url}/o/authorize/?" + urlencode(
        {
            "response_type": "code",
            "response_mode": "form_post",
            "client_id": client_id,
            "redirect_uri": relying_party.redirect_uri,
            "scope": "openid",
            "state": state,
            "nonce": NONCE,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
    )
    context = chromium.new_context(locale="en-GB")
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # A CSP violation would be reported here (the RP's missing favicon is no problem).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    try:
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("console", console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(url)
        fill_login_form(page, "form-post")
        expect(page).to_have_url(re.compile(re.escape(f"{live_server.base_url}/o/authorize/?")))
        page.get_by_role("button", name="Allow", exact=True).click()
        # The form_post page posts itself: the browser lands on the relying party's page.
        expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
        assert page.url == relying_party.redirect_uri
    finally:
        context.close()

    assert relying_party.arrived.is_set()
    assert relying_party.other_requests == []
    [posted] = relying_party.posts
    assert posted.path == "/callback"
    assert posted.query == ""  # nothing in the URL (the suite fails code in the query)
    assert posted.content_type == "application/x-www-form-urlencoded"
    assert set(posted.form) == {"code", "state", "iss"}
    assert all(len(values) == 1 for values in posted.form.values())
    assert posted.form["state"] == [state]
    assert posted.form["iss"] == [live_server.base_url]
    assert problems == []

    # And the code works, for an ID token with our nonce.
    token = httpx.post(
        f"{live_server.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": posted.form["code"][0],
            "redirect_uri": relying_party.redirect_uri,
            "code_verifier": pkce.verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    body = token.json()
    keys = KeySet.import_key_set(
        httpx.get(f"{live_server.base_url}/o/.well-known/jwks.json").json()
    )
    claims = jwt.decode(body["id_token"], keys, algorithms=["ES256", "RS256", "PS256"]).claims
    assert claims["nonce"] == NONCE
    assert claims["iss"] == live_server.base_url
    assert claims["aud"] == client_id
    assert claims["at_hash"] == half_hash(body["access_token"], "ES256")  # SHA-256, left half
