"""RFC 7009 revocation and RFC 7662 introspection: who may do either, and what each answers."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account, make_client
from tests.support.flows import tokens
from tests.support.pages import browser
from tests.support.tokens import REDIRECT_URI, bearer, introspect, oauth_error, refresh, revoke

pytestmark = pytest.mark.anyio

INACTIVE = {"active": False}


async def _issued(
    app: Starlette, client: httpx.AsyncClient, username: str = "alice"
) -> tuple[str, str, dict[str, Any]]:
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    assert secret is not None
    async with browser(app) as b:
        body = await tokens(client, b, client_id, secret, username, scope="activities:read profile")
    return client_id, secret, body


async def _status(client: httpx.AsyncClient, access_token: str) -> int:
    return (await client.get("/api/activities", headers=bearer(access_token))).status_code


async def test_revoking_a_refresh_token_ends_its_grant(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    assert await _status(client, body["access_token"]) == 200

    answer = await revoke(client, client_id, secret, body["refresh_token"])

    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert await _status(client, body["access_token"]) == 401
    for token in (body["access_token"], body["refresh_token"]):
        assert (await introspect(client, client_id, secret, token)).json() == INACTIVE
    oauth_error(
        await refresh(client, client_id, secret, body["refresh_token"]), 400, "invalid_grant"
    )


async def test_revoking_a_jwt_access_token_stops_it_at_once(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    assert await _status(client, body["access_token"]) == 200  # cached as verified, too

    answer = await revoke(client, client_id, secret, body["access_token"])

    assert answer.status_code == 200
    refused = await client.get("/api/activities", headers=bearer(body["access_token"]))
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    seen = await introspect(client, client_id, secret, body["access_token"])
    assert seen.json() == INACTIVE
    # The refresh token is a separate credential: it still works and brings a working token.
    renewed = await refresh(client, client_id, secret, body["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert await _status(client, renewed.json()["access_token"]) == 200


async def test_revoking_twice_is_fine(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    for _ in range(2):
        assert (await revoke(client, client_id, secret, body["access_token"])).status_code == 200
        assert (await revoke(client, client_id, secret, body["refresh_token"])).status_code == 200


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "something_else"])
async def test_the_token_type_hint_does_not_decide_what_is_revoked(
    app: Starlette, client: httpx.AsyncClient, alice: Account, hint: str
) -> None:
    client_id, secret, body = await _issued(app, client)
    answer = await revoke(client, client_id, secret, body["refresh_token"], token_type_hint=hint)
    assert answer.status_code == 200
    assert await _status(client, body["access_token"]) == 401


async def test_revoking_an_unknown_token_is_200(app: Starlette, client: httpx.AsyncClient) -> None:
    """The HTTP answer; which tokens count as unknown: tests/protocol/endpoints."""
    token = "made-up"
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    answer = await revoke(client, client_id, secret, token)
    assert answer.status_code == 200
    assert answer.content == b""


async def test_revocation_needs_a_token_and_an_authenticated_client(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    missing = await client.post("/o/revoke_token/", data={}, auth=(client_id, secret))
    oauth_error(missing, 400, "invalid_request")
    anonymous = await client.post("/o/revoke_token/", data={"token": body["refresh_token"]})
    oauth_error(anonymous, 401, "invalid_client")
    wrong = await revoke(client, client_id, "wrong-secret", body["refresh_token"])
    oauth_error(wrong, 401, "invalid_client")
    as_json = await client.post(
        "/o/revoke_token/", json={"token": body["refresh_token"]}, auth=(client_id, secret)
    )
    oauth_error(as_json, 400, "invalid_request")
    assert await _status(client, body["access_token"]) == 200


async def test_another_client_cannot_revoke_a_clients_tokens(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    other_id, other_secret = await make_client(app, name="Other", redirect_uris=[REDIRECT_URI])
    for token in (body["refresh_token"], body["access_token"]):
        # §2.1: refused, but answered like an unknown token, so nothing is learnt.
        assert (await revoke(client, other_id, other_secret, token)).status_code == 200
    assert await _status(client, body["access_token"]) == 200
    assert (await refresh(client, client_id, secret, body["refresh_token"])).status_code == 200


async def test_introspecting_an_access_token_describes_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    before = int(time.time())

    answer = await introspect(client, client_id, secret, body["access_token"])

    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    seen = answer.json()
    assert seen["active"] is True
    assert seen["scope"] == "activities:read profile"
    assert seen["client_id"] == client_id
    assert seen["sub"] == str(alice.id)
    assert seen["username"] == "alice"
    assert seen["token_type"] == "Bearer"
    assert seen["iss"] == "http://testserver"
    assert before - 60 <= seen["iat"] <= before + 1
    assert seen["exp"] == seen["iat"] + body["expires_in"]
    assert isinstance(seen["jti"], str)


async def test_introspecting_a_refresh_token_describes_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    seen = (await introspect(client, client_id, secret, body["refresh_token"])).json()
    assert seen["active"] is True
    assert seen["token_type"] == "refresh_token"
    assert seen["client_id"] == client_id
    assert seen["sub"] == str(alice.id)
    assert seen["scope"] == "activities:read profile"
    assert seen["exp"] > time.time()


async def test_introspecting_an_unknown_token_is_inactive(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """The HTTP answer; which tokens count as unknown: tests/protocol/endpoints."""
    token = "made-up"
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    answer = await introspect(client, client_id, secret, token)
    assert answer.status_code == 200
    assert answer.json() == INACTIVE


async def test_a_first_party_token_is_inactive_to_a_client_that_did_not_get_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    assert (await introspect(client, client_id, secret, alice.token)).json() == INACTIVE


async def test_a_resource_server_client_may_introspect_every_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    rs_id, rs_secret = await make_client(
        app, name="Resource server", grant_types=["client_credentials"], may_introspect=True
    )
    for token in (body["access_token"], body["refresh_token"], alice.token):
        seen = (await introspect(client, rs_id, rs_secret, token)).json()
        assert seen["active"] is True
        assert seen["sub"] == str(alice.id)
    # But it cannot revoke them.
    assert (await revoke(client, rs_id, rs_secret, body["refresh_token"])).status_code == 200
    assert await _status(client, body["access_token"]) == 200
    # And a revoked token is inactive to it as well.
    await revoke(client, client_id, secret, body["refresh_token"])
    seen = (await introspect(client, rs_id, rs_secret, body["access_token"])).json()
    assert seen == INACTIVE


async def test_public_clients_may_not_introspect(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, _ = await make_client(
        app, name="Native", client_type="public", redirect_uris=["http://127.0.0.1/cb"]
    )
    async with browser(app) as b:
        from tests.support.flows import get_code
        from tests.support.pkce import new_pkce
        from tests.support.tokens import redeem

        pkce = new_pkce()
        code = await get_code(b, client_id, "alice", pkce=pkce, redirect_uri="http://127.0.0.1/cb")
    body = (
        await redeem(
            client,
            client_id,
            None,
            code,
            verifier=pkce.verifier,
            redirect_uri="http://127.0.0.1/cb",
        )
    ).json()
    answer = await introspect(client, client_id, None, body["access_token"])
    oauth_error(answer, 401, "invalid_client")
    # A public client may still revoke its own tokens (RFC 7009 §5).
    assert (await revoke(client, client_id, None, body["refresh_token"])).status_code == 200
    assert await _status(client, body["access_token"]) == 401


async def test_introspection_needs_a_token_and_an_authenticated_client(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, body = await _issued(app, client)
    missing = await client.post("/o/introspect/", data={}, auth=(client_id, secret))
    oauth_error(missing, 400, "invalid_request")
    anonymous = await client.post("/o/introspect/", data={"token": body["access_token"]})
    oauth_error(anonymous, 401, "invalid_client")
    wrong = await introspect(client, client_id, "wrong-secret", body["access_token"])
    oauth_error(wrong, 401, "invalid_client")
    as_get = await client.get("/o/introspect/", params={"token": body["access_token"]})
    assert as_get.status_code == 405
