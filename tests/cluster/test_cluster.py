"""Two hosts, one database: every step of a user's life works whichever host answers.

The browser and the app talk to nginx, which alternates the two hosts; the checks of what the
*other* host does address that host directly.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from stint.protocol.jws import segment_json
from tests.cluster.conftest import KEY_REFRESH_SECONDS, REDIRECT_URI, Cluster
from tests.conftest import PASSWORD
from tests.support.flows import authorize_query, decide, open_authorize, redirected_to
from tests.support.pages import hidden_inputs
from tests.support.pkce import new_pkce

pytestmark = [pytest.mark.anyio, pytest.mark.cluster]


@asynccontextmanager
async def browser_at(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as browser:
        yield browser


@pytest.fixture
async def direct() -> AsyncIterator[httpx.AsyncClient]:
    """For addressing one host: a new connection per request, so both its workers answer."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        yield http


async def api_status(http: httpx.AsyncClient, host: str, access_token: str) -> int:
    answer = await http.get(f"{host}/api/activities", headers=_bearer(access_token))
    return answer.status_code


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def signed_in_tokens(
    cluster: Cluster, browser: httpx.AsyncClient, username: str
) -> dict[str, Any]:
    """Register, sign in on the pages, consent, redeem the code with PKCE: the token response."""
    created = await browser.post("/api/users", json={"username": username, "password": PASSWORD})
    assert created.status_code == 201, created.text
    pkce = new_pkce()
    url = authorize_query(cluster.client_id, pkce=pkce, scope="activities:read")
    answer = await decide(browser, await open_authorize(browser, url, username))
    params = redirected_to(answer, REDIRECT_URI)
    assert params["iss"] == cluster.url  # RFC 9207: the same issuer whichever host answered
    token = await browser.post(
        "/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": pkce.verifier,
        },
        auth=(cluster.client_id, cluster.client_secret),
    )
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    return body


async def refresh(cluster: Cluster, url: str, refresh_token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        return await http.post(
            "/o/token/",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(cluster.client_id, cluster.client_secret),
        )


def kid_of(token: str) -> str:
    kid: str = segment_json(token, 0)["kid"]
    return kid


async def test_sign_in_consent_code_and_refresh_work_across_hosts(
    cluster: Cluster, direct: httpx.AsyncClient
) -> None:
    async with browser_at(cluster.url) as browser:
        tokens = await signed_in_tokens(cluster, browser, f"ada{secrets.token_hex(3)}")
    # The browser's requests went through nginx to both hosts.
    assert cluster.upstreams_seen() == {h.removeprefix("http://") for h in cluster.hosts}
    for host in cluster.hosts:
        assert await api_status(direct, host, tokens["access_token"]) == 200

    refreshed = await refresh(cluster, cluster.url, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    again = await refresh(cluster, cluster.url, refreshed.json()["refresh_token"])
    assert again.status_code == 200, again.text  # two refreshes: one per host
    for host in cluster.hosts:
        assert await api_status(direct, host, again.json()["access_token"]) == 200


async def test_a_token_revoked_on_one_host_is_refused_by_the_other_within_a_second(
    cluster: Cluster, direct: httpx.AsyncClient
) -> None:
    one, other = cluster.hosts
    async with browser_at(cluster.url) as browser:
        tokens = await signed_in_tokens(cluster, browser, f"bea{secrets.token_hex(3)}")
    access = tokens["access_token"]
    for _ in range(4):  # every worker of the other host has seen the token work
        assert await api_status(direct, other, access) == 200

    async with httpx.AsyncClient(base_url=one, timeout=10) as http:
        revoked = await http.post(
            "/o/revoke_token/",
            data={"token": access, "token_type_hint": "access_token"},
            auth=(cluster.client_id, cluster.client_secret),
        )
    assert revoked.status_code == 200, revoked.text
    deadline = time.monotonic() + 1.0
    # Not one worker that happens to know: rounds of requests on fresh connections, until a
    # whole round is refused, and that round answered within the second.
    while await asyncio.gather(*(api_status(direct, other, access) for _ in range(4))) != [401] * 4:
        assert time.monotonic() < deadline, "the other host still accepts the revoked token"
    assert time.monotonic() < deadline, "the other host took over a second to refuse the token"
    assert await api_status(direct, one, access) == 401


async def test_signing_out_through_one_host_ends_the_session_on_both(
    cluster: Cluster, direct: httpx.AsyncClient
) -> None:
    async with browser_at(cluster.url) as browser:
        await signed_in_tokens(cluster, browser, f"cy{secrets.token_hex(3)}")
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        for host in cluster.hosts:
            account = await direct.get(f"{host}/account", headers={"Cookie": cookie})
            assert account.status_code == 200, account.text
        form = hidden_inputs((await browser.get("/account")).text)
        out = await browser.post("/logout", data={"csrf_token": form["csrf_token"]})
        assert out.status_code == 303, out.text
    for host in cluster.hosts:
        account = await direct.get(f"{host}/account", headers={"Cookie": cookie})
        assert account.status_code == 303
        assert account.headers["location"].startswith("/login")


async def test_a_key_rotated_from_the_cli_is_published_and_used_by_both_hosts(
    cluster: Cluster, direct: httpx.AsyncClient
) -> None:
    async with browser_at(cluster.url) as browser:
        tokens = await signed_in_tokens(cluster, browser, f"di{secrets.token_hex(3)}")
    printed = cluster.operator.stint("keys", "rotate", "--publish-seconds", "0")
    found = re.search(r"new ES256 key (\S+) is published", printed)
    assert found is not None, printed
    new_kid = found.group(1)

    # Each worker reloads the keys every KEY_REFRESH_SECONDS; allow a few periods on a busy CI.
    deadline = time.monotonic() + 5 * KEY_REFRESH_SECONDS + 5
    for host in cluster.hosts:
        while True:
            published = await asyncio.gather(
                *(direct.get(f"{host}/o/.well-known/jwks.json") for _ in range(4))
            )
            if all(new_kid in {k["kid"] for k in p.json()["keys"]} for p in published):
                break
            assert time.monotonic() < deadline, f"{host} does not publish {new_kid}"

    # Tokens that each host signs from now on carry the new key, and the other host takes them.
    refresh_token = tokens["refresh_token"]
    one, other = cluster.hosts
    for signer, checker in ((one, other), (other, one)):
        while True:
            answer = await refresh(cluster, signer, refresh_token)
            assert answer.status_code == 200, answer.text
            refresh_token = answer.json()["refresh_token"]
            if kid_of(answer.json()["access_token"]) == new_kid:
                break
            assert time.monotonic() < deadline, f"{signer} still signs with the old key"
        # A worker of the other host that the JWKS polls above missed may still be due to reload.
        while True:
            checked = await direct.get(
                f"{checker}/api/activities", headers=_bearer(answer.json()["access_token"])
            )
            if checked.status_code == 200:
                break
            assert time.monotonic() < deadline, f"{checker} refuses it: {checked.text}"
