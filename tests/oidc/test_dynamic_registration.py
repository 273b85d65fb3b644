"""Dynamic client registration end to end: OpenID Connect Dynamic Client Registration 1.0,
RFC 7591 (register) and RFC 7592 (read, update, delete), through the real app; sector
identifier documents come from a real local HTTP server.

Tests mirroring a module of the OpenID Foundation's Dynamic certification plan are named after it.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import bindparam, select
from starlette.applications import Starlette

from stint.settings import Settings
from stint.storage.tables import grants
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, Account, make_client
from tests.oidc.support import unverified
from tests.support.flows import authorize_query, decide, open_authorize, tokens
from tests.support.pages import browser
from tests.support.pkce import new_pkce
from tests.support.tokens import REDIRECT_URI, bearer, oauth_error, refresh, token_request

pytestmark = pytest.mark.anyio

ISSUER = "http://testserver"
REGISTER = "/o/register/"
OTHER_HOST_REDIRECT = "https://other.example/callback"
SERVER_FIELDS = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)


class Documents:
    """A real HTTP server on 127.0.0.1 serving what the test puts in it."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Accept)
        documents = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents.requests.append((self.path, self.headers.get("Accept", "")))
                body = documents.bodies.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, value: Any) -> str:
        self.bodies[path] = orjson.dumps(value)
        return self.base_url + path


@pytest.fixture
def documents() -> Iterator[Documents]:
    served = Documents()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()
    thread.join(timeout=5)


@asynccontextmanager
async def serving(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built from ``settings`` with ``changes``."""
    application = create_app(settings.model_copy(update=changes), hashing=FAST_HASHING)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as c:
            yield c


@pytest.fixture
async def local_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app allowed to fetch from the loopback server (SSRF guard relaxed)."""
    async with serving(settings, outbound_allow_private_addresses=True) as c:
        yield c


async def register(client: httpx.AsyncClient, **metadata: Any) -> dict[str, Any]:
    answer = await client.post(REGISTER, json={"redirect_uris": [REDIRECT_URI], **metadata})
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, Any] = answer.json()
    return body


async def refused(
    client: httpx.AsyncClient, body: Any, error: str = "invalid_client_metadata"
) -> str:
    """POST ``body``, expect the RFC 7591 §3.2.2 ``error``; its description."""
    answer = await client.post(REGISTER, json=body)
    description: str = oauth_error(answer, 400, error).get("error_description", "")
    return description


def management(info: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The client configuration endpoint's path and the headers that authorise its use."""
    path = info["registration_client_uri"].removeprefix(ISSUER)
    return path, bearer(info["registration_access_token"])


def update_body(info: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What a client sends back to update itself: its information less what the server issues."""
    kept = {k: v for k, v in info.items() if k not in SERVER_FIELDS and k != "client_secret"}
    return {**kept, **changes}


def challenge(answer: httpx.Response) -> str:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_token"
    value: str = answer.headers["www-authenticate"]
    assert value.startswith("Bearer ")
    return value


async def test_oidcc_server_registration_response_has_credentials_and_defaults(
    client: httpx.AsyncClient,
) -> None:
    before = int(time.time())
    info = await register(client, client_name="Time Sheets")
    assert info["client_id"]
    assert len(info["client_secret"]) >= 43  # 256 bits, base64url
    assert len(info["registration_access_token"]) >= 43
    assert before - 1 <= info["client_id_issued_at"] <= time.time() + 1
    assert info["client_secret_expires_at"] == 0
    assert info["registration_client_uri"] == f"{ISSUER}/o/register/{info['client_id']}"
    assert info["client_name"] == "Time Sheets"
    assert info["redirect_uris"] == [REDIRECT_URI]
    # Every default, said explicitly (RFC 7591 §3.2.1).
    assert info["grant_types"] == ["authorization_code"]
    assert info["response_types"] == ["code"]
    assert info["token_endpoint_auth_method"] == "client_secret_basic"
    assert info["application_type"] == "web"
    assert info["subject_type"] == "public"
    assert info["id_token_signed_response_alg"] == "ES256"
    assert "openid" in info["scope"].split()


async def test_the_endpoint_also_answers_without_the_trailing_slash(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/o/register", json={"redirect_uris": [REDIRECT_URI]})
    assert answer.status_code == 201, answer.text


async def test_a_registered_client_gets_tokens_with_client_credentials(
    client: httpx.AsyncClient,
) -> None:
    info = await register(
        client, redirect_uris=[], grant_types=["client_credentials"], scope="activities:read"
    )
    assert info["redirect_uris"] == []
    assert info["response_types"] == []
    params = {"grant_type": "client_credentials"}
    answer = await token_request(client, info["client_id"], info["client_secret"], params)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "activities:read"
    # client_secret_post: the secret in the form (RFC 6749 §2.3.1).
    post = await register(
        client, grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_post"
    )
    form = {**params, "client_id": post["client_id"], "client_secret": post["client_secret"]}
    assert (await client.post("/o/token/", data=form)).status_code == 200


async def test_oidcc_server_a_registered_client_completes_the_code_flow(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await register(
        client, grant_types=["authorization_code", "refresh_token"], scope="openid activities:read"
    )
    async with browser(app) as b:
        body = await tokens(
            client,
            b,
            info["client_id"],
            info["client_secret"],
            "alice",
            scope="openid activities:read",
        )
    assert body["id_token"].count(".") == 2
    listed = await client.get("/api/activities", headers=bearer(body["access_token"]))
    assert listed.status_code == 200, listed.text
    renewed = await refresh(client, info["client_id"], info["client_secret"], body["refresh_token"])
    assert renewed.status_code == 200, renewed.text


async def test_a_public_native_client_registers_a_loopback_redirect(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    loopback = "http://127.0.0.1:51004/callback"
    info = await register(
        client,
        redirect_uris=[loopback, "com.example.sheets:/callback"],
        application_type="native",
        token_endpoint_auth_method="none",
    )
    assert "client_secret" not in info
    url = authorize_query(info["client_id"], redirect_uri=loopback, pkce=new_pkce())
    async with browser(app) as b:
        consent = await open_authorize(b, url, "alice")
    assert consent.status_code == 200, consent.text  # the consent page: the request is valid


async def _authorize_with(app: Starlette, client_id: str, redirect_uri: str) -> httpx.Response:
    url = authorize_query(client_id, redirect_uri=redirect_uri, pkce=new_pkce())
    async with browser(app) as b:
        return await open_authorize(b, url, "alice")


async def test_oidcc_redirect_uri_query_ok(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    with_query = "https://app.example/callback?foo=bar"
    info = await register(client, redirect_uris=[with_query])
    url = authorize_query(info["client_id"], redirect_uri=with_query, pkce=new_pkce())
    async with browser(app) as b:
        answer = await decide(b, await open_authorize(b, url, "alice"))
    assert answer.status_code in (302, 303), answer.text
    location = urlsplit(answer.headers["location"])
    assert location._replace(query="").geturl() == "https://app.example/callback"
    query = parse_qs(location.query)
    assert query["foo"] == ["bar"]  # RFC 6749 §3.1.2: the registered query is kept
    assert query["code"]


@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("https://app.example/callback?foo=bar", "https://app.example/callback?foo=zot"),
        ("https://app.example/callback?foo=bar", "https://app.example/callback"),
    ],
)
async def test_oidcc_redirect_uri_query_mismatch(
    app: Starlette, client: httpx.AsyncClient, alice: Account, registered: str, requested: str
) -> None:
    info = await register(client, redirect_uris=[registered])
    answer = await _authorize_with(app, info["client_id"], requested)
    assert answer.status_code == 400  # an error page, never a redirect
    assert "location" not in answer.headers


async def test_oidcc_redirect_uri_query_added(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await register(client)
    answer = await _authorize_with(app, info["client_id"], REDIRECT_URI + "?foo=bar")
    assert answer.status_code == 400
    assert "location" not in answer.headers


async def test_oidcc_redirect_uri_regfrag(client: httpx.AsyncClient) -> None:
    body = {"redirect_uris": [REDIRECT_URI + "#fragment"]}
    assert "fragment" in await refused(client, body, "invalid_redirect_uri")


async def _registered_and_read(client: httpx.AsyncClient, **metadata: Any) -> dict[str, Any]:
    info = await register(client, **metadata)
    path, headers = management(info)
    read = await client.get(path, headers=headers)
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    for name, value in metadata.items():
        assert info[name] == body[name] == value
    return body


async def test_oidcc_registration_logo_uri(client: httpx.AsyncClient) -> None:
    await _registered_and_read(client, logo_uri="https://app.example/logo.png")


async def test_oidcc_registration_policy_uri(client: httpx.AsyncClient) -> None:
    await _registered_and_read(client, policy_uri="https://app.example/privacy")


async def test_oidcc_registration_tos_uri(client: httpx.AsyncClient) -> None:
    await _registered_and_read(client, tos_uri="https://app.example/terms")


async def test_display_uris_must_be_https(client: httpx.AsyncClient) -> None:
    for field in ("logo_uri", "policy_uri", "tos_uri", "client_uri"):
        for url in ("javascript:alert(1)", "http://app.example/x"):
            body = {"redirect_uris": [REDIRECT_URI], field: url}
            assert (await refused(client, body)).startswith(field)


async def test_oidcc_registration_jwks(client: httpx.AsyncClient) -> None:
    public = RSAKey.generate_key(2048, private=True).as_dict(private=False)
    info = await _registered_and_read(
        client, jwks={"keys": [public]}, id_token_encrypted_response_alg="RSA-OAEP"
    )
    assert info["id_token_encrypted_response_enc"] == "A128CBC-HS256"  # the default, said


async def test_oidcc_registration_jwks_uri(
    local_client: httpx.AsyncClient, documents: Documents
) -> None:
    public = RSAKey.generate_key(2048, private=True).as_dict(private=False)
    jwks_uri = documents.serve("/jwks.json", {"keys": [public]})
    await _registered_and_read(
        local_client, jwks_uri=jwks_uri, userinfo_encrypted_response_alg="RSA-OAEP-256"
    )


async def test_jwks_must_be_public_keys(client: httpx.AsyncClient) -> None:
    private = RSAKey.generate_key(2048, private=True).as_dict(private=True)
    body = {"redirect_uris": [REDIRECT_URI], "jwks": {"keys": [private]}}
    assert "public keys only" in await refused(client, body)


async def test_oidcc_registration_sector_uri(
    app: Starlette, local_client: httpx.AsyncClient, documents: Documents, alice: Account
) -> None:
    sector = documents.serve("/sector.json", [REDIRECT_URI, OTHER_HOST_REDIRECT])
    info = await register(
        local_client,
        redirect_uris=[REDIRECT_URI, OTHER_HOST_REDIRECT],
        subject_type="pairwise",
        sector_identifier_uri=sector,
    )
    assert info["subject_type"] == "pairwise"
    assert info["sector_identifier_uri"] == sector
    assert documents.requests == [("/sector.json", "application/json")]


async def test_oidcc_registration_sector_bad(
    local_client: httpx.AsyncClient, documents: Documents
) -> None:
    sector = documents.serve("/sector.json", [OTHER_HOST_REDIRECT])
    body = {
        "redirect_uris": [REDIRECT_URI],
        "subject_type": "pairwise",
        "sector_identifier_uri": sector,
    }
    description = await refused(local_client, body)
    assert description == f"sector_identifier_uri does not list the redirect URI {REDIRECT_URI}"


async def test_a_sector_uri_that_cannot_be_fetched_is_refused(
    local_client: httpx.AsyncClient, documents: Documents
) -> None:
    body = {"redirect_uris": [REDIRECT_URI], "sector_identifier_uri": f"{documents.base_url}/no"}
    assert "could not be fetched" in await refused(local_client, body)
    documents.bodies["/object.json"] = b'{"redirect_uris": []}'
    body["sector_identifier_uri"] = f"{documents.base_url}/object.json"
    assert "JSON array" in await refused(local_client, body)


async def test_the_sector_uri_is_not_fetched_from_private_addresses(
    settings: Settings, documents: Documents
) -> None:
    # The SSRF guard: with private addresses refused, a loopback sector URI is not reached.
    async with serving(settings, outbound_allow_private_addresses=False) as c:
        sector = documents.serve("/sector.json", [REDIRECT_URI])
        body = {"redirect_uris": [REDIRECT_URI], "sector_identifier_uri": sector}
        # The same words as any other failure: the reason would be an SSRF oracle.
        assert await refused(c, body) == "sector_identifier_uri could not be fetched"
    assert documents.requests == []


async def test_pairwise_over_several_hosts_needs_a_sector_uri(client: httpx.AsyncClient) -> None:
    body = {"redirect_uris": [REDIRECT_URI, OTHER_HOST_REDIRECT], "subject_type": "pairwise"}
    assert "sector_identifier_uri" in await refused(client, body)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://app.example/callback"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": REDIRECT_URI}, "invalid_client_metadata"),
        ({"grant_types": ["password"]}, "invalid_client_metadata"),
        ({"response_types": ["code"], "grant_types": ["implicit"]}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"id_token_signed_response_alg": "none"}, "invalid_client_metadata"),
        ({"id_token_encrypted_response_alg": "A128KW"}, "invalid_client_metadata"),
        ({"id_token_encrypted_response_alg": "RSA-OAEP"}, "invalid_client_metadata"),
        ({"userinfo_encrypted_response_enc": "A128GCM"}, "invalid_client_metadata"),
        ({"subject_type": "anonymous"}, "invalid_client_metadata"),
        ({"scope": "openid admin"}, "invalid_client_metadata"),
        ({"default_max_age": "60"}, "invalid_client_metadata"),
        ({"require_auth_time": "yes"}, "invalid_client_metadata"),
        ({"contacts": "ops@app.example"}, "invalid_client_metadata"),
        ({"post_logout_redirect_uris": ["https://app.example/bye#x"]}, "invalid_client_metadata"),
        ({"backchannel_logout_uri": "http://app.example/logout"}, "invalid_client_metadata"),
        ({"request_uris": ["http://app.example/request.jwt"]}, "invalid_client_metadata"),
        ({"initiate_login_uri": "ftp://app.example/"}, "invalid_client_metadata"),
        ({"jwks": {"keys": []}, "jwks_uri": "https://app.example/jwks"}, "invalid_client_metadata"),
        (
            {"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]},
            "invalid_client_metadata",
        ),
    ],
)
async def test_invalid_metadata_is_refused_with_the_rfc_7591_error(
    client: httpx.AsyncClient, body: dict[str, Any], error: str
) -> None:
    request = {"redirect_uris": [REDIRECT_URI], **body} if body else body
    assert await refused(client, request, error)  # the description says which field and why


async def test_the_body_must_be_a_json_object(client: httpx.AsyncClient) -> None:
    form = await client.post(REGISTER, data={"redirect_uris": REDIRECT_URI})
    assert form.status_code == 415
    assert form.json()["error"] == "invalid_request"
    assert form.headers["cache-control"] == "no-store"
    raw = {"content-type": "application/json"}
    oauth_error(
        await client.post(REGISTER, content=b"{", headers=raw), 400, "invalid_client_metadata"
    )
    oauth_error(
        await client.post(REGISTER, content=b"\xff", headers=raw), 400, "invalid_client_metadata"
    )
    oauth_error(await client.post(REGISTER, json=[REDIRECT_URI]), 400, "invalid_client_metadata")
    charset = {"content-type": "application/json; charset=utf-8"}
    body = orjson.dumps({"redirect_uris": [REDIRECT_URI]})
    assert (await client.post(REGISTER, content=body, headers=charset)).status_code == 201


async def test_an_initial_access_token_guards_registration_when_configured(
    settings: Settings,
) -> None:
    token = "initial-access-token-" + "z" * 30
    body = {"redirect_uris": [REDIRECT_URI]}
    async with serving(settings, registration_initial_access_token=token) as c:
        # RFC 6750 §3.1: without a token, the challenge names no error.
        assert challenge(await c.post(REGISTER, json=body)) == 'Bearer realm="stint"'
        wrong = await c.post(REGISTER, json=body, headers=bearer(token + "x"))
        assert 'error="invalid_token"' in challenge(wrong)
        basic = await c.post(REGISTER, json=body, headers={"Authorization": f"Basic {token}"})
        challenge(basic)
        right = await c.post(REGISTER, json=body, headers=bearer(token))
        assert right.status_code == 201, right.text


async def test_registration_can_be_switched_off(settings: Settings) -> None:
    async with serving(settings, registration_enabled=False) as c:
        answer = await c.post(REGISTER, json={"redirect_uris": [REDIRECT_URI]})
        assert answer.status_code == 404
        assert (await c.get("/o/register/anything")).status_code == 404


async def test_rfc7592_read_returns_the_registration_without_the_secret(
    client: httpx.AsyncClient,
) -> None:
    info = await register(client, client_name="Sheets", contacts=["ops@app.example"])
    path, headers = management(info)
    read = await client.get(path, headers=headers)
    assert read.status_code == 200, read.text
    assert read.headers["cache-control"] == "no-store"
    # We keep only a hash of the secret, so it cannot be shown again (RFC 7592 §2.1: MAY).
    assert read.json() == {k: v for k, v in info.items() if k != "client_secret"}


async def test_rfc7592_wrong_or_missing_tokens_get_401_and_leak_nothing(
    client: httpx.AsyncClient,
) -> None:
    info = await register(client)
    other = await register(client)
    path, headers = management(info)
    assert challenge(await client.get(path)) == 'Bearer realm="stint"'
    answers = [
        await client.get(path, headers=bearer("wrong")),
        await client.get(path, headers=bearer(other["registration_access_token"])),
        await client.get(path, headers=bearer(info["client_secret"])),
        await client.get("/o/register/no-such-client", headers=headers),
        await client.put(path, json=update_body(info), headers=bearer("wrong")),
        await client.delete(path, headers=bearer(other["registration_access_token"])),
    ]
    for answer in answers:
        assert 'error="invalid_token"' in challenge(answer)
    # Another client's token and an unknown client look exactly alike (RFC 7592 §2).
    assert answers[1].json() == answers[3].json()
    assert (await client.get(path, headers=headers)).status_code == 200  # still there


async def test_rfc7592_update_replaces_the_registration(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await register(client, client_name="Sheets", logo_uri="https://app.example/logo.png")
    path, headers = management(info)
    new_redirect = "https://app.example/new-callback"
    changed = update_body(info, redirect_uris=[new_redirect], client_name="Sheets 2")
    del changed["logo_uri"]
    answer = await client.put(path, json=changed, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    updated = answer.json()
    assert updated["redirect_uris"] == [new_redirect]
    assert updated["client_name"] == "Sheets 2"
    assert "logo_uri" not in updated
    assert updated["registration_access_token"] == info["registration_access_token"]
    assert (await client.get(path, headers=headers)).json() == updated
    # The change takes effect at once: the old redirect URI is refused, the new one accepted.
    assert (await _authorize_with(app, info["client_id"], REDIRECT_URI)).status_code == 400
    assert (await _authorize_with(app, info["client_id"], new_redirect)).status_code == 200
    # The secret is unchanged.
    params = {"grant_type": "refresh_token", "refresh_token": "x"}
    answer = await token_request(client, info["client_id"], info["client_secret"], params)
    assert answer.json()["error"] != "invalid_client"


async def test_rfc7592_update_follows_the_update_rules(client: httpx.AsyncClient) -> None:
    info = await register(client, client_name="Sheets")
    path, headers = management(info)
    body = update_body(info)
    without_id = {k: v for k, v in body.items() if k != "client_id"}
    oauth_error(await client.put(path, json=without_id, headers=headers), 400, "invalid_request")
    for name in SERVER_FIELDS:
        sent = {**body, name: info[name]}
        answer = await client.put(path, json=sent, headers=headers)
        assert name in oauth_error(answer, 400, "invalid_request")["error_description"]
    wrong_secret = {**body, "client_secret": "chosen-by-the-client"}
    oauth_error(await client.put(path, json=wrong_secret, headers=headers), 400, "invalid_request")
    bad = {**body, "redirect_uris": ["http://app.example/callback"]}
    oauth_error(await client.put(path, json=bad, headers=headers), 400, "invalid_redirect_uri")
    # None of these changed anything.
    read = await client.get(path, headers=headers)
    assert read.json() == {k: v for k, v in info.items() if k != "client_secret"}
    right_secret = {**body, "client_secret": info["client_secret"]}
    answer = await client.put(path, json=right_secret, headers=headers)
    assert answer.status_code == 200, answer.text


async def test_rfc7592_update_to_a_public_client_drops_the_secret(
    client: httpx.AsyncClient,
) -> None:
    info = await register(client)
    path, headers = management(info)
    body = update_body(info, token_endpoint_auth_method="none")
    answer = await client.put(path, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert "client_secret" not in answer.json()
    params = {"grant_type": "refresh_token", "refresh_token": "x"}
    old_secret = await token_request(client, info["client_id"], info["client_secret"], params)
    oauth_error(old_secret, 401, "invalid_client")


async def test_rfc7592_delete_removes_the_client_its_grants_and_tokens(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await register(client, grant_types=["authorization_code", "refresh_token"])
    async with browser(app) as b:
        issued = await tokens(client, b, info["client_id"], info["client_secret"], "alice")
    db = app.state.runtime.db
    by_client = select(grants.c.id).where(grants.c.client_id == bindparam("client_id"))
    assert await db.fetch_all(by_client, {"client_id": info["client_id"]})
    path, headers = management(info)
    deleted = await client.delete(path, headers=headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await db.fetch_all(by_client, {"client_id": info["client_id"]}) == []
    challenge(await client.get(path, headers=headers))
    challenge(await client.delete(path, headers=headers))
    again = await refresh(client, info["client_id"], info["client_secret"], issued["refresh_token"])
    oauth_error(again, 401, "invalid_client")
    api = await client.get("/api/activities", headers=bearer(issued["access_token"]))
    assert api.status_code == 401


async def _sub(app: Starlette, client: httpx.AsyncClient, info: dict[str, Any]) -> str:
    async with browser(app) as b:
        body = await tokens(
            client, b, info["client_id"], info["client_secret"], "alice", scope="openid"
        )
    sub: str = unverified(body["id_token"])[1]["sub"]
    return sub


async def test_a_pairwise_client_keeps_its_sector_when_it_updates_its_redirect_uris(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await register(client, subject_type="pairwise")
    path, headers = management(info)
    stored = await app.state.runtime.oauth.clients.get(info["client_id"])
    assert stored.pairwise_sector == "app.example"  # kept by the database itself
    sub = await _sub(app, client, info)
    assert sub != str(alice.id)
    same_host = update_body(info, redirect_uris=[REDIRECT_URI, "https://app.example/second"])
    assert (await client.put(path, json=same_host, headers=headers)).status_code == 200
    assert await _sub(app, client, info) == sub
    # Moving to another host would give it that sector's subjects (OIDC Core §8.1).
    moved = update_body(info, redirect_uris=[OTHER_HOST_REDIRECT])
    answer = await client.put(path, json=moved, headers=headers)
    assert (
        "must stay on app.example"
        in oauth_error(answer, 400, "invalid_redirect_uri")["error_description"]
    )
    public = update_body(info, subject_type="public")
    answer = await client.put(path, json=public, headers=headers)
    description = oauth_error(answer, 400, "invalid_client_metadata")["error_description"]
    assert description.startswith("subject_type cannot change")
    assert (await client.get(path, headers=headers)).json()["redirect_uris"] == [
        REDIRECT_URI,
        "https://app.example/second",
    ]
    assert await _sub(app, client, info) == sub


async def test_a_self_registered_client_is_marked_unverified_on_the_consent_page(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await register(client, client_name="Stint Official", logo_uri="https://e.example/l.png")
    operators, _ = await make_client(app, name="Team dashboard", redirect_uris=[REDIRECT_URI])
    async with browser(app) as b:
        url = authorize_query(info["client_id"], pkce=new_pkce())
        self_registered = await open_authorize(b, url, "alice")
        vouched = await b.get(authorize_query(operators, pkce=new_pkce()))
    assert self_registered.status_code == 200, self_registered.text
    shown = " ".join(self_registered.text.split())
    assert "Unverified app" in shown
    assert "This app registered itself with Stint. Nobody has checked who runs it" in shown
    assert vouched.status_code == 200, vouched.text
    assert "Team dashboard" in vouched.text
    assert "Unverified app" not in vouched.text


async def test_oidcc_prompt_none_not_logged_in_goes_back_to_a_registered_client(
    client: httpx.AsyncClient,
) -> None:
    # The Dynamic profile still works: a self-registered client's errors reach it.
    info = await register(client)
    url = authorize_query(info["client_id"], scope="openid", pkce=new_pkce(), prompt="none")
    answer = await client.get(url)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert location._replace(query="").geturl() == REDIRECT_URI
    assert parse_qs(location.query)["error"] == ["login_required"]


async def test_registration_is_rate_limited_per_address(settings: Settings) -> None:
    application = create_app(
        settings.model_copy(update={"registrations_per_ip": 2}), hashing=FAST_HASHING
    )
    async with (
        application.router.lifespan_context(application),
        _from(application, "198.51.100.1") as first,
        _from(application, "198.51.100.2") as second,
    ):
        await register(first)
        await refused(first, {"redirect_uris": "not a list"})  # a refused request counts too
        answer = await first.post(REGISTER, json={"redirect_uris": [REDIRECT_URI]})
        oauth_error(answer, 429, "invalid_request")
        assert answer.headers["retry-after"] == "3600"
        assert answer.headers["cache-control"] == "no-store"
        await register(second)  # another address is counted apart


@pytest.mark.redis
async def test_every_worker_shares_the_registration_count_through_redis(
    settings: Settings,
) -> None:
    redis_url = await _redis_url()
    shared = settings.model_copy(update={"registrations_per_ip": 1, "redis_url": redis_url})
    address = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"  # fresh keys each run
    workers = [create_app(shared, hashing=FAST_HASHING) for _ in range(2)]
    async with (
        workers[0].router.lifespan_context(workers[0]),
        workers[1].router.lifespan_context(workers[1]),
        _from(workers[0], address) as one,
        _from(workers[1], address) as two,
    ):
        await register(one)
        answer = await two.post(REGISTER, json={"redirect_uris": [REDIRECT_URI]})
        oauth_error(answer, 429, "invalid_request")


async def test_production_closes_open_registration_unless_the_operator_opts_in(
    settings: Settings,
) -> None:
    production = {"environment": "production", "issuer": "https://stint.example"}
    async with serving(settings, **production) as closed:
        answer = await closed.post(REGISTER, json={"redirect_uris": [REDIRECT_URI]})
        assert 'error="invalid_token"' not in challenge(answer)
        configuration = (await closed.get("/.well-known/openid-configuration")).json()
        assert "registration_endpoint" not in configuration
    async with serving(settings, **production, registration_open=True) as opened:
        await register(opened)
    async with serving(
        settings, **production, registration_initial_access_token="t" * 40
    ) as guarded:
        answer = await guarded.post(
            REGISTER, json={"redirect_uris": [REDIRECT_URI]}, headers=bearer("t" * 40)
        )
        assert answer.status_code == 201, answer.text
        configuration = (await guarded.get("/.well-known/openid-configuration")).json()
        assert configuration["registration_endpoint"] == "https://stint.example/o/register"


@asynccontextmanager
async def _from(app: Starlette, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as c:
        yield c


async def _redis_url() -> str:
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    url = os.environ.get("STINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    redis = Redis.from_url(url)
    try:
        await redis.ping()
    except (RedisConnectionError, OSError):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true needs Redis, and none answers at {url}")
        pytest.skip(f"no Redis at {url} (set STINT_TEST_REDIS_URL)")
    finally:
        await redis.aclose()
    return url
