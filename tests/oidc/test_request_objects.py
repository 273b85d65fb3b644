"""Request objects end to end (OIDC Core §6, RFC 9101): by value and by reference, through the
real app, with the request_uri and jwks_uri served by a real local HTTP server.

Tests are named after the OpenID Foundation conformance-suite modules they mirror.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey
from starlette.applications import Starlette

from stint.protocol.registration import ClientSpec, new_client
from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, Account
from tests.support.flows import authorize_query, decide, open_authorize, redirected_to
from tests.support.pages import browser
from tests.support.pkce import new_pkce
from tests.support.tokens import REDIRECT_URI, redeem

pytestmark = pytest.mark.anyio

ISSUER = "http://testserver"
OBJECT_REDIRECT = "https://app.example/from-request-object"
RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": "rp-rsa"})
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "rp-ec"})


class Documents:
    """A real HTTP server on 127.0.0.1 serving what the test puts in it, counting requests."""

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[str, bytes]] = {}
        self.hits: dict[str, int] = {}
        self.accepts: list[str] = []
        documents = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents.hits[self.path] = documents.hits.get(self.path, 0) + 1
                documents.accepts.append(self.headers.get("Accept", ""))
                found = documents.bodies.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                content_type, body = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, body: str | bytes, content_type: str) -> str:
        self.bodies[path] = (content_type, body.encode() if isinstance(body, str) else body)
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


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The app, allowed to reach the loopback server the tests start (SSRF guard relaxed)."""
    local = settings.model_copy(update={"outbound_allow_private_addresses": True})
    application = create_app(local, hashing=FAST_HASHING)
    async with application.router.lifespan_context(application):
        yield application


async def relying_party(app: Starlette, **metadata: Any) -> tuple[str, str | None]:
    """A confidential client with two redirect URIs and OIDC ``metadata``; (client_id, secret)."""
    runtime = app.state.runtime
    spec = ClientSpec(
        name="Request object RP",
        redirect_uris=(REDIRECT_URI, OBJECT_REDIRECT),
        grant_types=frozenset({"authorization_code", "refresh_token"}),
        scopes=frozenset({"activities:read"}),
    )
    client, secret = new_client(spec, runtime.hasher, allow_http=True)
    await runtime.oauth.clients.add(dataclasses.replace(client, metadata=metadata))
    return client.client_id, secret


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}."


def signed(claims: dict[str, Any], alg: str, key: Key) -> str:
    header = {"alg": alg, "kid": key.kid, "typ": "oauth-authz-req+jwt"}
    return jwt.encode(header, claims, key, algorithms=[alg])


def object_claims(client_id: str, challenge: str, **extra: Any) -> dict[str, Any]:
    """What the OIDF suite puts in its request objects: the whole request, iss/aud included."""
    return {
        "iss": client_id,
        "aud": ISSUER,
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": OBJECT_REDIRECT,
        "scope": "openid activities:read",
        "state": "state-in-object",
        "nonce": "nonce-in-object",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "exp": int(time.time()) + 300,
        **extra,
    }


def _claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


async def authorize_with(
    app: Starlette,
    user: Account,
    client_id: str,
    *,
    redirect_uri: str | None = None,
    **request: str,
) -> httpx.Response:
    """Sign in and approve an authorization request that names only client_id, response_type
    and scope in the query (OIDC Core §6.1), the rest coming from ``request``/``request_uri``."""
    url = authorize_query(
        client_id, redirect_uri=redirect_uri, scope="openid", state=None, pkce=None, **request
    )
    async with browser(app) as b:
        answer = await open_authorize(b, url, user.username, user.password)
        if answer.status_code == 200 and 'name="decision"' in answer.text:
            answer = await decide(b, answer)
        return answer


async def assert_code_via_object(
    app: Starlette,
    client: httpx.AsyncClient,
    answer: httpx.Response,
    client_id: str,
    secret: str | None,
    verifier: str,
) -> None:
    """The code went to the redirect URI only the object named, with the object's state, and
    redeems to an ID token carrying the object's nonce."""
    params = redirected_to(answer, OBJECT_REDIRECT)
    assert "error" not in params, params
    assert params["state"] == "state-in-object"
    tokens = await redeem(
        client, client_id, secret, params["code"], verifier=verifier, redirect_uri=OBJECT_REDIRECT
    )
    assert tokens.status_code == 200, tokens.text
    assert _claims_of(tokens.json()["id_token"])["nonce"] == "nonce-in-object"


async def test_oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await relying_party(app)
    pkce = new_pkce()
    request = unsigned(object_claims(client_id, pkce.challenge))
    answer = await authorize_with(app, alice, client_id, request=request)
    await assert_code_via_object(app, client, answer, client_id, secret, pkce.verifier)


async def test_oidcc_request_uri_unsigned(
    app: Starlette, client: httpx.AsyncClient, alice: Account, documents: Documents
) -> None:
    client_id, secret = await relying_party(app, request_uris=[f"{documents.base_url}/request.jwt"])
    pkce = new_pkce()
    body = unsigned(object_claims(client_id, pkce.challenge))
    request_uri = documents.serve("/request.jwt", body, "application/oauth-authz-req+jwt")
    answer = await authorize_with(app, alice, client_id, request_uri=request_uri)
    await assert_code_via_object(app, client, answer, client_id, secret, pkce.verifier)
    assert documents.hits["/request.jwt"] >= 1
    assert all("application/oauth-authz-req+jwt" in accept for accept in documents.accepts)


async def test_oidcc_request_uri_signed_rs256(
    app: Starlette, client: httpx.AsyncClient, alice: Account, documents: Documents
) -> None:
    jwks = {"keys": [RSA_KEY.as_dict(private=False)]}
    client_id, secret = await relying_party(
        app,
        jwks=jwks,
        request_object_signing_alg="RS256",
        request_uris=[f"{documents.base_url}/signed.jwt"],
    )
    pkce = new_pkce()
    body = signed(object_claims(client_id, pkce.challenge), "RS256", RSA_KEY)
    request_uri = documents.serve("/signed.jwt", body, "application/oauth-authz-req+jwt")
    answer = await authorize_with(app, alice, client_id, request_uri=request_uri)
    await assert_code_via_object(app, client, answer, client_id, secret, pkce.verifier)


async def test_oidcc_request_object_signed_es256_with_keys_at_jwks_uri(
    app: Starlette, client: httpx.AsyncClient, alice: Account, documents: Documents
) -> None:
    jwks_uri = documents.serve(
        "/jwks.json", json.dumps({"keys": [EC_KEY.as_dict(private=False)]}), "application/json"
    )
    client_id, secret = await relying_party(
        app, jwks_uri=jwks_uri, request_object_signing_alg="ES256"
    )
    pkce = new_pkce()
    request = signed(object_claims(client_id, pkce.challenge), "ES256", EC_KEY)
    answer = await authorize_with(app, alice, client_id, request=request)
    await assert_code_via_object(app, client, answer, client_id, secret, pkce.verifier)


async def test_oidcc_ensure_request_object_with_redirect_uri(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await relying_party(app)
    pkce = new_pkce()
    request = unsigned(object_claims(client_id, pkce.challenge))
    # The query's redirect_uri is not registered: the object's takes precedence (§6.3.3).
    answer = await authorize_with(
        app, alice, client_id, request=request, redirect_uri="https://attacker.example/cb"
    )
    await assert_code_via_object(app, client, answer, client_id, secret, pkce.verifier)


async def test_a_request_uri_that_cannot_be_fetched_is_sent_back_as_invalid_request_uri(
    app: Starlette, client: httpx.AsyncClient, documents: Documents
) -> None:
    missing = documents.base_url + "/missing.jwt"
    client_id, _ = await relying_party(app, request_uris=[missing])
    answer = await client.get(authorize_query(client_id, scope="openid", request_uri=missing))
    params = redirected_to(answer, REDIRECT_URI)  # the query's own, registered, redirect_uri
    assert params["error"] == "invalid_request_uri"
    assert params["state"] == "xyz"
    # Not "answered 404": the client would learn what answers at a URL it chose (SSRF oracle).
    assert params["error_description"] == "the request_uri could not be fetched"
    assert documents.hits["/missing.jwt"] == 1


async def test_a_request_uri_the_client_did_not_register_is_never_fetched(
    app: Starlette, client: httpx.AsyncClient, documents: Documents
) -> None:
    client_id, _ = await relying_party(app)
    body = unsigned(object_claims(client_id, new_pkce().challenge))
    request_uri = documents.serve("/request.jwt", body, "application/oauth-authz-req+jwt")
    answer = await client.get(authorize_query(client_id, scope="openid", request_uri=request_uri))
    params = redirected_to(answer, REDIRECT_URI)
    assert params["error"] == "invalid_request_uri"
    assert params["error_description"] == "request_uri is not registered for this client"
    assert documents.hits == {}


async def test_discovery_says_request_uris_must_be_registered(client: httpx.AsyncClient) -> None:
    configuration = (await client.get("/.well-known/openid-configuration")).json()
    assert configuration["request_uri_parameter_supported"] is True
    assert configuration["require_request_uri_registration"] is True


async def test_a_request_object_with_a_bad_signature_is_sent_back_as_invalid_request_object(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    jwks = {"keys": [RSA_KEY.as_dict(private=False)]}
    client_id, _ = await relying_party(app, jwks=jwks, request_object_signing_alg="RS256")
    impostor = RSAKey.generate_key(2048, parameters={"kid": "rp-rsa"})
    request = signed(object_claims(client_id, new_pkce().challenge), "RS256", impostor)
    answer = await client.get(authorize_query(client_id, scope="openid", request=request))
    assert redirected_to(answer, REDIRECT_URI)["error"] == "invalid_request_object"


async def test_an_unsigned_object_is_refused_for_a_client_that_registered_a_signing_alg(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, _ = await relying_party(app, request_object_signing_alg="RS256")
    request = unsigned(object_claims(client_id, new_pkce().challenge))
    answer = await client.get(authorize_query(client_id, scope="openid", request=request))
    assert redirected_to(answer, REDIRECT_URI)["error"] == "invalid_request_object"


async def test_a_bad_object_naming_the_only_redirect_uri_is_shown_not_redirected(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, _ = await relying_party(app, request_object_signing_alg="RS256")
    request = unsigned(object_claims(client_id, new_pkce().challenge))
    url = authorize_query(client_id, redirect_uri=None, scope="openid", request=request)
    answer = await client.get(url)
    assert answer.status_code == 400  # the object is in doubt, so is its redirect_uri
    assert "location" not in answer.headers
