"""Malformed credentials and parameters get the surface's own 4xx, never a 500, on both databases.

The Authorization header is read by one rule for the API, UserInfo and the OAuth endpoints; text
PostgreSQL cannot store (NUL, over-long values) is refused before storage on SQLite alike.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account, basic, make_client, problem
from tests.support.flows import authorize_query
from tests.support.pkce import new_pkce
from tests.support.tokens import REDIRECT_URI, oauth_error

pytestmark = pytest.mark.anyio

OAUTH_FORMS = {
    "/o/token/": {"grant_type": "client_credentials"},
    "/o/introspect/": {"token": "x"},
    "/o/revoke_token/": {"token": "x"},
}


async def _service(app: Starlette) -> tuple[str, str]:
    client_id, secret = await make_client(
        app, name="Service", grant_types=["client_credentials"], scopes=["activities:read"]
    )
    assert secret is not None
    return client_id, secret


@pytest.mark.parametrize("path", list(OAUTH_FORMS))
async def test_a_non_ascii_basic_header_at_an_oauth_endpoint_is_invalid_client(
    client: httpx.AsyncClient, path: str
) -> None:
    for header in (b"Basic \xe9", b"Basic YTpi\xe9", b"Basic " + b"\xff" * 100):
        answer = await client.post(path, data=OAUTH_FORMS[path], headers={b"authorization": header})
        oauth_error(answer, 401, "invalid_client")


async def test_a_non_ascii_basic_header_at_the_api_is_a_401_problem(
    client: httpx.AsyncClient,
) -> None:
    for header in (b"Basic \xe9", b"Basic YTpi\xe9"):
        answer = await client.get("/api/me", headers={b"authorization": header})
        problem(answer, 401)
        assert answer.headers["www-authenticate"].startswith("Basic ")


async def test_basic_credentials_holding_a_nul_are_refused_alike_everywhere(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # RFC 7617 §2: no control characters; PostgreSQL could not even look a NUL name up.
    api = await client.get("/api/me", headers=basic("ali\x00ce", alice.password))
    problem(api, 401)
    token = await client.post(
        "/o/token/", data=OAUTH_FORMS["/o/token/"], headers=basic("client\x00id", "secret")
    )
    oauth_error(token, 401, "invalid_client")
    escaped = await client.post(  # §2.3.1: the id is form-encoded before Basic encoding
        "/o/token/", data=OAUTH_FORMS["/o/token/"], headers=basic("client%00id", "secret")
    )
    oauth_error(escaped, 401, "invalid_client")


@pytest.mark.parametrize("path", list(OAUTH_FORMS))
async def test_a_repeated_authorization_header_at_an_oauth_endpoint_is_invalid_request(
    app: Starlette, client: httpx.AsyncClient, path: str
) -> None:
    client_id, secret = await _service(app)
    valid = basic(client_id, secret)["Authorization"]
    for first, second in (("Basic !!!", valid), (valid, "Basic !!!"), (valid, valid)):
        headers = [("Authorization", first), ("Authorization", second)]
        answer = await client.post(path, data=OAUTH_FORMS[path], headers=headers)
        body = oauth_error(answer, 400, "invalid_request")
        assert "Authorization" in body["error_description"]


async def test_a_repeated_authorization_header_at_the_api_is_a_400_problem(
    client: httpx.AsyncClient, alice: Account
) -> None:
    valid = alice.basic["Authorization"]
    for first, second in (
        ("Basic !!!", valid),
        (valid, "Basic !!!"),
        (alice.bearer["Authorization"], valid),
    ):
        headers = [("Authorization", first), ("Authorization", second)]
        for path in ("/api/me", "/api/token"):
            problem(await client.get(path, headers=headers), 400)


async def test_a_repeated_authorization_header_at_userinfo_is_invalid_request(
    client: httpx.AsyncClient, alice: Account
) -> None:
    headers = [("Authorization", "Bearer !!!"), ("Authorization", alice.bearer["Authorization"])]
    answer = await client.get("/o/userinfo/", headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"


async def test_a_repeated_authorization_header_at_registration_is_invalid_request(
    client: httpx.AsyncClient,
) -> None:
    headers = [("Authorization", "Bearer a"), ("Authorization", "Bearer b")]
    answer = await client.post(
        "/o/register", json={"redirect_uris": [REDIRECT_URI]}, headers=headers
    )
    oauth_error(answer, 400, "invalid_request")


async def test_a_client_name_holding_a_nul_is_invalid_client_metadata(
    client: httpx.AsyncClient,
) -> None:
    # SQLite stored it; PostgreSQL answered 500. Now both refuse it before storage.
    for name in ("App\x00", "App\x07name"):
        answer = await client.post(
            "/o/register", json={"redirect_uris": [REDIRECT_URI], "client_name": name}
        )
        oauth_error(answer, 400, "invalid_client_metadata")


async def test_a_nonce_too_long_to_store_or_holding_a_nul_is_invalid_request(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, _ = await make_client(app, name="RP", redirect_uris=[REDIRECT_URI])
    for nonce in ("n" * 513, "abc\x00def"):
        url = authorize_query(client_id, scope="openid", pkce=new_pkce(), nonce=nonce)
        answer = await client.get(url)
        assert answer.status_code == 302, answer.text
        location = httpx.URL(answer.headers["location"])
        assert str(location.copy_with(query=None)) == REDIRECT_URI
        assert location.params["error"] == "invalid_request"
    # 512 characters fit the column: such a request goes on to sign-in.
    url = authorize_query(client_id, scope="openid", pkce=new_pkce(), nonce="n" * 512)
    assert (await client.get(url)).status_code == 303
