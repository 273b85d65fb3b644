"""The token, introspection and revocation endpoints from a client's side (RFC 6749 §3.2,
RFC 7662, RFC 7009): client authentication, the requests, and the error shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from tests.conftest import basic

REDIRECT_URI = "https://app.example/callback"


def client_auth(client_id: str, secret: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and form fields that authenticate a client: Basic with a secret, else client_id."""
    if secret is None:
        return {}, {"client_id": client_id}
    return basic(client_id, secret), {}


async def token_request(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    params: Mapping[str, str],
) -> httpx.Response:
    headers, fields = client_auth(client_id, secret)
    return await client.post("/o/token/", data={**fields, **params}, headers=headers)


async def redeem(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    code: str,
    *,
    verifier: str | None,
    redirect_uri: str | None = REDIRECT_URI,
) -> httpx.Response:
    params = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        params["redirect_uri"] = redirect_uri
    if verifier is not None:
        params["code_verifier"] = verifier
    return await token_request(client, client_id, secret, params)


async def refresh(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    refresh_token: str,
    **extra: str,
) -> httpx.Response:
    params = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return await token_request(client, client_id, secret, params)


async def introspect(
    client: httpx.AsyncClient, client_id: str, secret: str | None, token: str
) -> httpx.Response:
    headers, fields = client_auth(client_id, secret)
    return await client.post("/o/introspect/", data={**fields, "token": token}, headers=headers)


async def revoke(
    client: httpx.AsyncClient, client_id: str, secret: str | None, token: str, **extra: str
) -> httpx.Response:
    headers, fields = client_auth(client_id, secret)
    return await client.post(
        "/o/revoke_token/", data={**fields, "token": token, **extra}, headers=headers
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """Assert an RFC 6749 §5.2 error response and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    return body


async def client_credentials(
    client: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None
) -> httpx.Response:
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return await client.post("/o/token/", data=data, auth=(client_id, secret))
