"""A fresh install, as `make run` makes one: a virtual environment built from requirements/app.lock
alone plus Stint's wheel (scripts/fresh-venv), running `stint serve`, calling out to a relying
party's own server on 127.0.0.1 on every outbound path: sector_identifier_uri, request_uri,
jwks_uri and back-channel logout. A package that only the dev lock brings (httpx was one) passes
every in-process test and breaks these.

Building the environment takes about a minute (less with pip's cache), once per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import PASSWORD, LiveServer, running_server
from tests.oidc.logout_support import (
    POST_LOGOUT_URI,
    LogoutReceiver,
    confirm_sign_out,
    serve_logout_receiver,
)
from tests.oidc.test_request_objects import EC_KEY, OBJECT_REDIRECT, Documents, object_claims
from tests.oidc.test_request_objects import signed as signed_object
from tests.support.flows import authorize_query, decide, open_authorize
from tests.support.flows import redirected_to as redirected
from tests.support.pkce import new_pkce
from tests.support.tokens import redeem

pytestmark = [pytest.mark.anyio, pytest.mark.fresh_install]

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fresh-venv"
# Far beyond the 10 seconds a test waits: a logout token that arrives came on the first try.
RETRY_SECONDS = "120"
REQUEST_PATH = "/request.jwt"  # registered (request_uris): Stint fetches no other


@dataclass(frozen=True)
class FreshInstall:
    server: LiveServer
    documents: Documents  # the relying party's documents: sector, JWKS, request objects
    receiver: LogoutReceiver  # the relying party's backchannel_logout_uri


@contextmanager
def _serving(documents: Documents) -> Iterator[Documents]:
    thread = threading.Thread(target=documents.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield documents
    finally:
        documents.server.shutdown()
        documents.server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshInstall]:
    root = tmp_path_factory.mktemp("fresh-install")
    venv = root / "venv"
    built = subprocess.run(
        ["bash", str(SCRIPT), str(venv)],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, f"scripts/fresh-venv failed:\n{built.stdout}{built.stderr}"
    data = root / "data"
    data.mkdir()
    with ExitStack() as stack:
        documents = stack.enter_context(_serving(Documents()))
        receiver = stack.enter_context(contextmanager(serve_logout_receiver)())
        server = stack.enter_context(
            running_server(
                data,
                bin_dir=venv / "bin",
                STINT_BACKCHANNEL_LOGOUT_RETRY_SECONDS=RETRY_SECONDS,
            )
        )
        yield FreshInstall(server, documents, receiver)


def register(fresh: FreshInstall, name: str, **metadata: Any) -> httpx.Response:
    """Dynamic registration of an app whose URLs that Stint calls are on the RP's own server."""
    jwks = json.dumps({"keys": [EC_KEY.as_dict(private=False)]})
    body = {
        "client_name": name,
        "redirect_uris": [OBJECT_REDIRECT],
        "post_logout_redirect_uris": [POST_LOGOUT_URI],
        "jwks_uri": fresh.documents.serve("/jwks.json", jwks, "application/json"),
        "request_uris": [fresh.documents.base_url + REQUEST_PATH],
        "request_object_signing_alg": "ES256",
        "backchannel_logout_uri": fresh.receiver.url,
        **metadata,
    }
    return httpx.post(f"{fresh.server.base_url}/o/register", json=body, timeout=30)


@pytest.fixture(scope="module")
def rp(fresh: FreshInstall) -> dict[str, Any]:
    """A registered app (RFC 7591 §3.2.1 response); registering it fetches nothing, so each
    test below fails on its own outbound path."""
    answer = register(fresh, "Fresh install RP")
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


@asynccontextmanager
async def browser(fresh: FreshInstall) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fresh.server.base_url, timeout=30) as client:
        yield client


async def signed_in_id_token(
    fresh: FreshInstall,
    b: httpx.AsyncClient,
    rp: dict[str, Any],
    username: str,
    *,
    by_reference: bool,
) -> str:
    """Sign ``b`` in to the app with ``openid``, approve, redeem the code: the ID token. With
    ``by_reference`` the request is a request_uri, signed with a key at the app's jwks_uri."""
    client_id = rp["client_id"]
    pkce = new_pkce()
    if by_reference:
        claims = object_claims(client_id, pkce.challenge, aud=fresh.server.base_url)
        request_uri = fresh.documents.serve(
            REQUEST_PATH,
            signed_object(claims, "ES256", EC_KEY),
            "application/oauth-authz-req+jwt",
        )
        url = authorize_query(
            client_id,
            redirect_uri=None,
            scope="openid",
            state=None,
            pkce=None,
            request_uri=request_uri,
        )
    else:
        url = authorize_query(client_id, redirect_uri=OBJECT_REDIRECT, scope="openid", pkce=pkce)
    answer = await open_authorize(b, url, username, PASSWORD)
    code = redirected(await decide(b, answer), OBJECT_REDIRECT)["code"]
    async with browser(fresh) as backend:
        tokens = await redeem(
            backend,
            client_id,
            rp["client_secret"],
            code,
            verifier=pkce.verifier,
            redirect_uri=OBJECT_REDIRECT,
        )
    assert tokens.status_code == 200, tokens.text
    id_token: str = tokens.json()["id_token"]
    return id_token


def test_a_fresh_install_registers_an_app_with_a_sector_identifier_uri(
    fresh: FreshInstall,
) -> None:
    sector = fresh.documents.serve(
        "/sector.json", json.dumps([OBJECT_REDIRECT]), "application/json"
    )
    answer = register(fresh, "Sector RP", subject_type="pairwise", sector_identifier_uri=sector)
    assert answer.status_code == 201, answer.text
    assert answer.json()["subject_type"] == "pairwise"
    assert fresh.documents.hits.get("/sector.json", 0) >= 1


async def test_a_fresh_install_fetches_a_request_uri_and_checks_it_against_the_jwks_uri(
    fresh: FreshInstall, rp: dict[str, Any]
) -> None:
    fresh.server.create_user("fresh-request-uri")
    async with browser(fresh) as b:
        id_token = await signed_in_id_token(fresh, b, rp, "fresh-request-uri", by_reference=True)
    assert id_token.count(".") == 2
    assert fresh.documents.hits[REQUEST_PATH] >= 1
    assert fresh.documents.hits["/jwks.json"] >= 1


async def test_a_fresh_install_delivers_the_logout_token_on_the_first_try(
    fresh: FreshInstall, rp: dict[str, Any]
) -> None:
    fresh.server.create_user("fresh-logout")
    async with browser(fresh) as b:
        id_token = await signed_in_id_token(fresh, b, rp, "fresh-logout", by_reference=False)
        query = {"id_token_hint": id_token, "post_logout_redirect_uri": POST_LOGOUT_URI}
        page = await b.get("/o/logout/?" + urlencode({**query, "state": "bye"}))
        answer = await confirm_sign_out(b, page)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"{POST_LOGOUT_URI}?state=bye"
    # The retry delay is two minutes: a token within the 10 seconds wait_for allows is the first.
    [post] = await fresh.receiver.wait_for(1)
    assert post.content_type == "application/x-www-form-urlencoded"
    assert post.logout_token.count(".") == 2
