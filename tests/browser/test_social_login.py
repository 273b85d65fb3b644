"""Social login in a real browser, against real upstreams: a second Stint and node-oidc-provider.

One downstream Stint per module offers two upstream OpenID providers: "Upstream Stint", another
`stint serve` (reached as ``localhost``, so its cookies are not the downstream's), configured as
``[social.upstream]`` in the TOML file; and "Node Provider", node-oidc-provider from npm with its
own sign-in and consent pages, added with `stint social add`. The third-party app is a loopback
redirect URI (RFC 8252 §7.3) in this process.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Browser, Callback
from tests.browser.support import fill_login_form, screenshot, sign_in
from tests.conftest import LiveServer
from tests.support.node_provider import NodeProvider, start_node_provider
from tests.support.pkce import new_pkce
from tests.support.social_stints import (
    Downstream,
    UpstreamStint,
    downstream_stint,
    free_port,
    upstream_stint,
)

APP_NAME = "Harvest Export"
UPSTREAM = "Upstream Stint"
NODE = "Node Provider"


@dataclass(frozen=True)
class Stints:
    downstream: LiveServer
    upstream: UpstreamStint
    node: NodeProvider


@pytest.fixture(scope="module")
def stints(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template_with_keys: Path
) -> Iterator[Stints]:
    folder = tmp_path_factory.mktemp("social")
    where = Downstream(free_port())
    with ExitStack() as stack:
        upstream = stack.enter_context(
            # Its own keys (`stint migrate` makes them), not the downstream's from the template:
            # the downstream must check the upstream's ID tokens against the upstream's JWKS.
            upstream_stint(folder / "upstream", where.redirect_uri("upstream"))
        )
        node = stack.enter_context(
            start_node_provider(folder / "node", [where.redirect_uri("node")])
        )
        providers = {"upstream": upstream.provider(label=UPSTREAM)}
        downstream = stack.enter_context(
            downstream_stint(
                folder / "downstream", where, providers, template=sqlite_template_with_keys
            )
        )
        # Node Provider the other way an operator adds one: at run time, its secret sealed in the
        # database. No page has read the provider list yet (read on first use, then cached).
        downstream.stint(
            "social",
            "add",
            "node",
            "--backend",
            "oidc",
            "--label",
            NODE,
            "--client-id",
            node.client_id,
            "--client-secret",
            node.client_secret,
            "--issuer",
            node.issuer,
        )
        yield Stints(downstream, upstream, node)


@pytest.fixture
def offline(browser: Browser) -> Browser:
    """node-oidc-provider's pages @import a Google font; nothing leaves this machine."""
    browser.context.route(re.compile(r"^https?://fonts\.(googleapis|gstatic)\.com/"), _abort)
    return browser


def _abort(route: Route) -> None:
    route.abort()


def accounts(server: LiveServer) -> dict[int, str]:
    """The server's accounts, id to username, read from its database."""
    path = server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT id, username FROM users"))


def sign_in_at_node(page: Page, login: str) -> None:
    """node-oidc-provider's development pages: any login name, then Continue on its consent."""
    expect(page.get_by_role("heading", name="Sign-in")).to_be_visible()
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("not checked by devInteractions")
    page.get_by_role("button", name="Sign-in").click()
    expect(page.get_by_role("heading", name="Authorize")).to_be_visible()
    page.get_by_role("button", name="Continue").click()


@dataclass(frozen=True)
class App:
    client_id: str
    secret: str
    redirect_uri: str


def register_app(server: LiveServer, callback: Callback) -> App:
    client_id, secret = server.create_client(
        APP_NAME, "--redirect-uri", callback.redirect_uri, "--scope", "profile"
    )
    assert secret is not None
    return App(client_id, secret, callback.redirect_uri)


def id_token_claims(server: LiveServer, id_token: str) -> dict[str, Any]:
    """The ID token's claims once its signature checks against the server's JWKS."""
    discovery = httpx.get(f"{server.base_url}/.well-known/openid-configuration").json()
    keys = KeySet.import_key_set(httpx.get(discovery["jwks_uri"]).json())
    return dict(jwt.decode(id_token, keys).claims)


def test_signing_in_through_an_upstream_stint_lets_the_app_have_the_new_account(
    stints: Stints, offline: Browser, callback: Callback, tmp_path: Path
) -> None:
    down, up = stints.downstream, stints.upstream
    app = register_app(down, callback)
    before = accounts(down)
    pkce, state, nonce = new_pkce(), secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": app.redirect_uri,
            "scope": "openid profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
    )
    page = offline.page
    page.goto(f"{down.base_url}/o/authorize/?{query}")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fo%2Fauthorize%2F%3F"))
    screenshot(page, "social-login-page.png", tmp_path)
    page.get_by_role("link", name=f"Continue with {UPSTREAM}").click()

    # At the upstream Stint: its own sign-in, then its consent for the downstream.
    expect(page).to_have_url(re.compile(re.escape(f"{up.issuer}/login?next=")))
    fill_login_form(page, up.username, up.password)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Downstream Stint wants to use your Stint account"
    )
    page.get_by_role("button", name="Allow", exact=True).click()

    # Back at the downstream, signed in: the app's authorization request resumes at its consent.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{APP_NAME} wants to use your Stint account"
    )
    page.get_by_role("button", name="Allow", exact=True).click()
    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    answer = callback.received()
    assert answer["state"] == state

    tokens = httpx.post(
        f"{down.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": pkce.verifier,
        },
        auth=(app.client_id, app.secret),
    )
    assert tokens.status_code == 200, tokens.text
    claims = id_token_claims(down, tokens.json()["id_token"])
    assert claims["iss"] == down.base_url
    assert claims["aud"] in (app.client_id, [app.client_id])
    assert claims["nonce"] == nonce
    assert claims["amr"] == ["fed"]  # the app learns the person signed in through a federation
    created = {i: name for i, name in accounts(down).items() if i not in before}
    assert list(created) == [int(claims["sub"])], "one new account, and the app got it"
    bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    me = httpx.get(f"{down.base_url}/api/me", headers=bearer)
    assert me.json() == {"id": int(claims["sub"]), "username": created[int(claims["sub"])]}
    assert offline.errors == []


def test_connecting_and_disconnecting_a_provider_from_the_account_page(
    stints: Stints, offline: Browser, tmp_path: Path
) -> None:
    down = stints.downstream
    down.create_user("connect-person")
    page = offline.page
    sign_in(page, down.base_url, "connect-person")
    page.goto(f"{down.base_url}/account")
    panel = page.locator("#connections")
    expect(panel).to_contain_text("No provider is connected")
    panel.get_by_role("button", name=f"Connect {NODE}").click()
    sign_in_at_node(page, "connect-person-at-node")

    expect(page).to_have_url(re.compile(re.escape(f"{down.base_url}/account")))
    expect(panel.get_by_role("status")).to_contain_text("connected")
    row = page.locator('#connections tr[data-provider="node"]')
    expect(row).to_contain_text(NODE)
    expect(row).to_contain_text("connect-person-at-node")  # the person there, by their name
    screenshot(page, "social-account-connected.png", tmp_path)

    # The connection signs this account in: out, then back in through the provider (whose
    # own session still holds, so it sends the browser straight back).
    page.get_by_role("button", name="Sign out connect-person").click()
    page.goto(f"{down.base_url}/login")
    page.get_by_role("link", name=f"Continue with {NODE}").click()
    expect(page.get_by_role("button", name="Sign out connect-person")).to_be_visible()

    page.goto(f"{down.base_url}/account")
    row.get_by_role("button", name="Disconnect").click()
    expect(page.locator('#connections tr[data-provider="node"]')).to_have_count(0)
    expect(page.locator("#connections")).to_contain_text("No provider is connected")
    assert offline.errors == []


def test_a_first_sign_in_with_an_email_an_account_has_is_refused_and_explained(
    stints: Stints, offline: Browser, tmp_path: Path
) -> None:
    down, node = stints.downstream, stints.node
    down.create_user("collide-local")
    email = node.email_of("collide")  # what node-oidc-provider asserts, verified
    down.stint("users", "profile", "collide-local", "--set", f"email={email}", "--verify-email")
    before = accounts(down)
    page = offline.page
    page.goto(f"{down.base_url}/login")
    page.get_by_role("link", name=f"Continue with {NODE}").click()
    sign_in_at_node(page, "collide")

    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    explanation = page.get_by_role("alert")
    expect(explanation).to_contain_text(re.compile(r"sign in", re.IGNORECASE))
    expect(explanation).to_contain_text(re.compile(r"connect", re.IGNORECASE))
    screenshot(page, "social-email-taken.png", tmp_path)
    assert accounts(down) == before, "no second account"
    page.goto(f"{down.base_url}/account")
    expect(page).to_have_url(re.compile(r"/login"))  # and nobody signed in


def test_the_only_way_an_account_signs_in_cannot_be_disconnected(
    stints: Stints, offline: Browser
) -> None:
    down = stints.downstream
    page = offline.page
    page.goto(f"{down.base_url}/login")
    page.get_by_role("link", name=f"Continue with {NODE}").click()
    sign_in_at_node(page, "only-node")
    expect(page.get_by_role("button", name=re.compile(r"^Sign out "))).to_be_visible()

    page.goto(f"{down.base_url}/account")
    row = page.locator('#connections tr[data-provider="node"]')
    # No button that can only fail: the row says why (a crafted POST is refused too:
    # tests/http/social/test_linking.py).
    expect(row).to_contain_text(re.compile(r"only way you can sign in", re.IGNORECASE))
    expect(row.get_by_role("button", name="Disconnect")).to_have_count(0)
    expect(row).to_have_count(1)  # still connected: it is the account's only way in
    assert offline.errors == []


def test_cancelling_at_the_provider_says_so_and_creates_no_account(
    stints: Stints, offline: Browser
) -> None:
    down = stints.downstream
    before = accounts(down)
    page = offline.page
    page.goto(f"{down.base_url}/login")
    page.get_by_role("link", name=f"Continue with {NODE}").click()
    expect(page.get_by_role("heading", name="Sign-in")).to_be_visible()
    page.get_by_role("link", name="[ Cancel ]").click()  # node-oidc-provider: access_denied

    expect(page.get_by_role("heading", name="Sign-in cancelled")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("You cancelled the sign-in")
    assert accounts(down) == before
    assert offline.errors == []
