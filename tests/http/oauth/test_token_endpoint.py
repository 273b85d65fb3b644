"""/o/token/: client authentication, error shapes (RFC 6749 §5.2), and the non-browser grants."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account, basic, make_client
from tests.support.pkce import new_pkce
from tests.support.tokens import (
    REDIRECT_URI,
    bearer,
    introspect,
    oauth_error,
    revoke,
    token_request,
)

pytestmark = pytest.mark.anyio

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


async def _service(app: Starlette, **spec: object) -> tuple[str, str]:
    """A confidential client that may use client_credentials."""
    client_id, secret = await make_client(
        app, name="Service", grant_types=["client_credentials"], **spec
    )
    assert secret is not None
    return client_id, secret


def _invalid_client(response: httpx.Response) -> dict[str, object]:
    body = oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic ")
    return body


async def test_errors_have_the_rfc_6749_shape_and_are_never_cached(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, secret = await _service(app)
    answer = await token_request(client, client_id, secret, {"grant_type": "made_up"})
    body = oauth_error(answer, 400, "unsupported_grant_type")
    assert answer.headers["pragma"] == "no-cache"
    assert answer.headers["content-type"] == "application/json"
    assert set(body) <= {"error", "error_description", "error_uri"}
    assert isinstance(body["error_description"], str)
    assert body["error_description"].isascii()


async def test_a_wrong_secret_is_invalid_client_with_a_challenge(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, _ = await _service(app)
    _invalid_client(await token_request(client, client_id, "wrong", CLIENT_CREDENTIALS))


async def test_no_client_authentication_at_all_is_invalid_client(
    client: httpx.AsyncClient,
) -> None:
    _invalid_client(await client.post("/o/token/", data=CLIENT_CREDENTIALS))


async def test_a_malformed_basic_header_is_invalid_client(client: httpx.AsyncClient) -> None:
    for header in ("Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic Og=="):  # "nocolon", ":"
        answer = await client.post(
            "/o/token/", data=CLIENT_CREDENTIALS, headers={"Authorization": header}
        )
        _invalid_client(answer)


async def test_a_post_client_may_not_use_basic(app: Starlette, client: httpx.AsyncClient) -> None:
    client_id, secret = await _service(app, token_endpoint_auth_method="client_secret_post")
    in_body = await client.post(
        "/o/token/",
        data={**CLIENT_CREDENTIALS, "client_id": client_id, "client_secret": secret},
    )
    assert in_body.status_code == 200, in_body.text
    _invalid_client(await token_request(client, client_id, secret, CLIENT_CREDENTIALS))


async def test_two_authentication_methods_at_once_are_invalid_request(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, secret = await _service(app)
    answer = await client.post(
        "/o/token/",
        data={**CLIENT_CREDENTIALS, "client_id": client_id, "client_secret": secret},
        headers=basic(client_id, secret),
    )
    oauth_error(answer, 400, "invalid_request")


async def test_a_client_id_in_the_body_must_match_the_basic_credentials(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, secret = await _service(app)
    same = await client.post(
        "/o/token/",
        data={**CLIENT_CREDENTIALS, "client_id": client_id},
        headers=basic(client_id, secret),
    )
    assert same.status_code == 200, same.text
    other = await client.post(
        "/o/token/",
        data={**CLIENT_CREDENTIALS, "client_id": "someone-else"},
        headers=basic(client_id, secret),
    )
    oauth_error(other, 400, "invalid_request")


@pytest.mark.parametrize(
    "grant_type",
    ["urn:ietf:params:oauth:grant-type:jwt-bearer", "implicit", "made_up", "Client_Credentials"],
)
async def test_an_unsupported_grant_type_is_unsupported_grant_type(
    app: Starlette, client: httpx.AsyncClient, grant_type: str
) -> None:
    client_id, secret = await _service(app)
    answer = await token_request(client, client_id, secret, {"grant_type": grant_type})
    oauth_error(answer, 400, "unsupported_grant_type")


async def test_a_repeated_parameter_is_invalid_request(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, secret = await _service(app)
    answer = await client.post(
        "/o/token/",
        content="grant_type=client_credentials&scope=profile&scope=activities:read",
        headers={"Content-Type": "application/x-www-form-urlencoded", **basic(client_id, secret)},
    )
    body = oauth_error(answer, 400, "invalid_request")
    assert "scope" in body["error_description"]


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/json", '{"grant_type": "client_credentials"}'),
        ("text/plain", "grant_type=client_credentials"),
        (None, "grant_type=client_credentials"),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
)
async def test_a_body_that_is_not_a_form_is_invalid_request(
    app: Starlette, client: httpx.AsyncClient, content_type: str | None, content: str
) -> None:
    client_id, secret = await _service(app)
    headers = basic(client_id, secret)
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = await client.post("/o/token/", content=content, headers=headers)
    oauth_error(answer, 400, "invalid_request")


async def test_a_form_content_type_with_a_charset_is_accepted(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, secret = await _service(app)
    answer = await client.post(
        "/o/token/",
        content="grant_type=client_credentials",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            **basic(client_id, secret),
        },
    )
    assert answer.status_code == 200, answer.text


async def test_the_token_endpoint_takes_post_only(client: httpx.AsyncClient) -> None:
    answer = await client.get("/o/token/", params=CLIENT_CREDENTIALS)
    assert answer.status_code == 405


async def test_client_credentials_of_an_ownerless_client_speak_for_the_client(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, secret = await _service(app)
    answer = await token_request(client, client_id, secret, CLIENT_CREDENTIALS)

    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert "refresh_token" not in body  # RFC 6749 §4.4.3
    assert body["token_type"] == "Bearer"
    token = bearer(body["access_token"])
    greeting = await client.get("/api/resource", headers=token)
    assert greeting.json() == {"data": f"Hello, {client_id}!"}
    # No user stands behind it, so the endpoints about a user's data refuse it.
    for path in ("/api/activities", "/api/me", "/api/time-entries"):
        refused = await client.get(path, headers=token)
        assert refused.status_code == 401, (path, refused.text)
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_an_ownerless_clients_opaque_token_speaks_for_the_client_too(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """The token format is the client's choice; it does not change what the token may do."""
    client_id, secret = await _service(app, opaque_access_tokens=True)
    body = (await token_request(client, client_id, secret, CLIENT_CREDENTIALS)).json()
    token = bearer(body["access_token"])
    assert body["access_token"].count(".") != 2
    greeting = await client.get("/api/resource", headers=token)
    assert greeting.json() == {"data": f"Hello, {client_id}!"}
    assert (await client.get("/api/activities", headers=token)).status_code == 401
    assert (await revoke(client, client_id, secret, body["access_token"])).status_code == 200
    assert (await client.get("/api/resource", headers=token)).status_code == 401


async def test_a_revoked_client_credentials_token_no_longer_speaks_for_the_client(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, secret = await _service(app)
    body = (await token_request(client, client_id, secret, CLIENT_CREDENTIALS)).json()
    token = bearer(body["access_token"])
    assert (await client.get("/api/resource", headers=token)).status_code == 200
    assert (await revoke(client, client_id, secret, body["access_token"])).status_code == 200
    refused = await client.get("/api/resource", headers=token)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_client_credentials_of_a_client_owned_by_a_user_act_as_that_user(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _service(app, owner_id=alice.id)
    created = await client.post("/api/activities", json={"name": "Writing"}, headers=alice.bearer)
    assert created.status_code == 201

    answer = await token_request(client, client_id, secret, CLIENT_CREDENTIALS)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "refresh_token" not in body
    token = bearer(body["access_token"])
    listed = await client.get("/api/activities", headers=token)
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()["items"]] == ["Writing"]
    greeting = await client.get("/api/resource", headers=token)
    assert greeting.json() == {"data": "Hello, alice!"}


async def test_a_user_owned_client_does_not_see_another_users_data(
    app: Starlette, client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    client_id, secret = await _service(app, owner_id=bob.id)
    await client.post("/api/activities", json={"name": "Secret"}, headers=alice.bearer)
    body = (await token_request(client, client_id, secret, CLIENT_CREDENTIALS)).json()
    listed = await client.get("/api/activities", headers=bearer(body["access_token"]))
    assert listed.json()["items"] == []


async def test_a_requested_scope_narrows_the_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _service(app, owner_id=alice.id)
    answer = await token_request(
        client, client_id, secret, {**CLIENT_CREDENTIALS, "scope": "activities:read"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scope"] == "activities:read"
    token = bearer(body["access_token"])
    assert (await client.get("/api/activities", headers=token)).status_code == 200
    refused = await client.get("/api/time-entries", headers=token)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def _password(username: str, password: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": password, **extra}


async def test_the_password_grant_works_for_a_client_that_enables_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(
        app, name="Legacy", grant_types=["password", "refresh_token"]
    )
    answer = await token_request(
        client, client_id, secret, _password("alice", alice.password, scope="activities:read")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scope"] == "activities:read"
    assert body["refresh_token"]
    assert (await client.get("/api/activities", headers=bearer(body["access_token"]))).is_success
    refreshed = await token_request(
        client,
        client_id,
        secret,
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text


async def test_the_password_grant_is_throttled_like_sign_in(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(app, name="Legacy", grant_types=["password"])
    limit = app.state.settings.login_failures_per_account
    for _ in range(limit):
        wrong = await token_request(client, client_id, secret, _password("alice", "guess"))
        oauth_error(wrong, 400, "invalid_grant")
    # Refused from this address: even the right password no longer gets a token here.
    right = await token_request(client, client_id, secret, _password("alice", alice.password))
    oauth_error(right, 400, "invalid_grant")
    sign_in = await client.get("/api/token", headers=alice.basic)
    assert sign_in.status_code == 429


async def test_opaque_access_tokens_work_at_the_api_and_are_revoked_at_once(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _service(app, owner_id=alice.id, opaque_access_tokens=True)
    body = (await token_request(client, client_id, secret, CLIENT_CREDENTIALS)).json()
    token = body["access_token"]
    assert token.count(".") != 2  # not a JWT
    assert (await client.get("/api/activities", headers=bearer(token))).status_code == 200
    seen = (await introspect(client, client_id, secret, token)).json()
    assert seen["active"] is True
    assert seen["client_id"] == client_id
    assert seen["username"] == "alice"

    assert (await revoke(client, client_id, secret, token)).status_code == 200

    refused = await client.get("/api/activities", headers=bearer(token))
    assert refused.status_code == 401
    assert (await introspect(client, client_id, secret, token)).json() == {"active": False}


async def test_opaque_access_tokens_from_the_code_flow_end_with_their_grant(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    from tests.support.flows import tokens
    from tests.support.pages import browser

    client_id, secret = await make_client(
        app, name="Opaque web", redirect_uris=[REDIRECT_URI], opaque_access_tokens=True
    )
    assert secret is not None
    async with browser(app) as b:
        body = await tokens(client, b, client_id, secret, "alice")
    token = body["access_token"]
    assert token.count(".") != 2
    assert (await client.get("/api/activities", headers=bearer(token))).status_code == 200
    assert (await revoke(client, client_id, secret, body["refresh_token"])).status_code == 200
    assert (await client.get("/api/activities", headers=bearer(token))).status_code == 401
    assert (await introspect(client, client_id, secret, token)).json() == {"active": False}


async def test_an_unknown_opaque_token_is_refused_by_the_api(client: httpx.AsyncClient) -> None:
    refused = await client.get("/api/activities", headers=bearer(new_pkce().verifier))
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
