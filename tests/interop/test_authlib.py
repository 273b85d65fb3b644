"""Authlib's OAuth 2.0 clients against a real Stint server, found through its metadata document."""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from tests.conftest import LiveServer
from tests.interop.browser import approve

REDIRECT_URI = "http://127.0.0.1:9/authlib/callback"
SCOPE = "activities:read activities:write profile"
TIMEOUT = 10


@pytest.fixture(scope="module")
def metadata(live_server: LiveServer) -> dict[str, Any]:
    """RFC 8414: every endpoint below comes from here, not from hard-coded paths."""
    response = requests.get(
        f"{live_server.base_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    assert document["issuer"] == live_server.base_url
    for endpoint in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ):
        assert document[endpoint].startswith(live_server.base_url + "/"), document[endpoint]
    assert "S256" in document["code_challenge_methods_supported"]
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(
        document["token_endpoint_auth_methods_supported"]
    )
    assert document["authorization_response_iss_parameter_supported"] is True
    return document


def session(metadata: dict[str, Any], client_id: str, **options: Any) -> OAuth2Session:
    return OAuth2Session(
        client_id,
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint=metadata["token_endpoint"],
        default_timeout=TIMEOUT,
        **options,
    )


def sign_in(
    oauth: OAuth2Session, metadata: dict[str, Any], username: str, **fetch: Any
) -> dict[str, Any]:
    """The code flow with PKCE: authorize, sign in and approve over HTTP, exchange the code."""
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    location = approve(url, REDIRECT_URI, username)
    # RFC 9207: a client guards against mix-up by checking the issuer of the response.
    assert parse_qs(urlsplit(location).query)["iss"] == [metadata["issuer"]]
    token: dict[str, Any] = oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=location,
        state=state,
        code_verifier=verifier,
        **fetch,
    )
    return token


def me(oauth: OAuth2Session, server: LiveServer) -> requests.Response:
    response: requests.Response = oauth.get(f"{server.base_url}/api/me")
    return response


def bearer_status(server: LiveServer, path: str, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(f"{server.base_url}{path}", headers=headers, timeout=TIMEOUT).status_code


def test_code_flow_refresh_introspect_revoke_with_client_secret_basic(
    live_server: LiveServer, metadata: dict[str, Any]
) -> None:
    live_server.create_user("al-basic")
    client_id, secret = live_server.create_client("al basic", "--redirect-uri", REDIRECT_URI)
    oauth = session(metadata, client_id, client_secret=secret)
    token = sign_in(oauth, metadata, "al-basic")
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())
    assert token["expires_at"] > 0  # Authlib computed it from expires_in
    assert me(oauth, live_server).json()["username"] == "al-basic"
    created = oauth.post(f"{live_server.base_url}/api/activities", json={"name": "Authlib"})
    assert created.status_code == 201, created.text
    listed = oauth.get(f"{live_server.base_url}/api/activities")
    assert listed.status_code == 200, listed.text
    assert [a["name"] for a in listed.json()["items"]] == ["Authlib"]

    first = dict(token)
    renewed = oauth.refresh_token(metadata["token_endpoint"])
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["access_token"] != first["access_token"]
    assert me(oauth, live_server).status_code == 200

    access = renewed["access_token"]
    seen = oauth.introspect_token(metadata["introspection_endpoint"], token=access)
    assert seen.status_code == 200, seen.text
    assert seen.json()["active"] is True
    assert seen.json()["client_id"] == client_id
    assert seen.json()["username"] == "al-basic"
    revoked = oauth.revoke_token(
        metadata["revocation_endpoint"], token=access, token_type_hint="access_token"
    )
    assert revoked.status_code == 200, revoked.text
    assert me(oauth, live_server).status_code == 401
    gone = oauth.introspect_token(metadata["introspection_endpoint"], token=access)
    assert gone.json() == {"active": False}

    # RFC 9700 §4.14.2: the spent refresh token comes back, and the whole family ends with it.
    with pytest.raises(OAuthError) as reused:
        oauth.refresh_token(metadata["token_endpoint"], refresh_token=first["refresh_token"])
    assert reused.value.error == "invalid_grant"
    with pytest.raises(OAuthError) as ended:
        oauth.refresh_token(metadata["token_endpoint"], refresh_token=renewed["refresh_token"])
    assert ended.value.error == "invalid_grant"


def test_client_secret_post(live_server: LiveServer, metadata: dict[str, Any]) -> None:
    live_server.create_user("al-post")
    client_id, secret = live_server.create_client(
        "al post", "--redirect-uri", REDIRECT_URI, "--auth-method", "client_secret_post"
    )
    oauth = session(
        metadata,
        client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_post",
        # Authlib defaults the revocation endpoint to client_secret_basic whenever it has a secret.
        revocation_endpoint_auth_method="client_secret_post",
    )
    token = sign_in(oauth, metadata, "al-post")
    assert me(oauth, live_server).json()["username"] == "al-post"
    renewed = oauth.refresh_token(metadata["token_endpoint"])
    assert renewed["refresh_token"] != token["refresh_token"]
    access = renewed["access_token"]
    # Revoking the refresh token ends the grant, its access tokens with it (RFC 7009 §2.1).
    revoked = oauth.revoke_token(
        metadata["revocation_endpoint"],
        token=renewed["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200, revoked.text
    assert bearer_status(live_server, "/api/me", access) == 401
    seen = oauth.introspect_token(metadata["introspection_endpoint"], token=access)
    assert seen.json() == {"active": False}
    with pytest.raises(OAuthError) as refused:
        oauth.refresh_token(metadata["token_endpoint"], refresh_token=renewed["refresh_token"])
    assert refused.value.error == "invalid_grant"


def test_a_client_using_an_unregistered_auth_method_is_refused(
    live_server: LiveServer, metadata: dict[str, Any]
) -> None:
    """Registered client_secret_post; Authlib's default is client_secret_basic."""
    live_server.create_user("al-mismatch")
    client_id, secret = live_server.create_client(
        "al mismatch", "--redirect-uri", REDIRECT_URI, "--auth-method", "client_secret_post"
    )
    oauth = session(metadata, client_id, client_secret=secret)
    with pytest.raises(OAuthError) as refused:
        sign_in(oauth, metadata, "al-mismatch")
    assert refused.value.error == "invalid_client"
    assert "client_secret_post" in str(refused.value.description)


def test_public_client_with_pkce(live_server: LiveServer, metadata: dict[str, Any]) -> None:
    live_server.create_user("al-public")
    client_id, secret = live_server.create_client(
        "al public", "--type", "public", "--redirect-uri", REDIRECT_URI
    )
    assert secret is None
    oauth = session(metadata, client_id)
    assert oauth.token_endpoint_auth_method == "none"
    token = sign_in(oauth, metadata, "al-public")
    assert me(oauth, live_server).json()["username"] == "al-public"
    renewed = oauth.refresh_token(metadata["token_endpoint"])
    assert renewed["refresh_token"] != token["refresh_token"]
    assert me(oauth, live_server).status_code == 200
    # RFC 7662 §2.1: introspection is for authenticated clients; a public client has no secret.
    refused = oauth.introspect_token(
        metadata["introspection_endpoint"], token=renewed["access_token"]
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"
    revoked = oauth.revoke_token(metadata["revocation_endpoint"], token=renewed["access_token"])
    assert revoked.status_code == 200, revoked.text
    assert me(oauth, live_server).status_code == 401


def test_a_code_exchanged_without_its_verifier_is_refused(
    live_server: LiveServer, metadata: dict[str, Any]
) -> None:
    live_server.create_user("al-verifier")
    client_id, _ = live_server.create_client(
        "al verifier", "--type", "public", "--redirect-uri", REDIRECT_URI
    )
    oauth = session(metadata, client_id)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(48)
    )
    location = approve(url, REDIRECT_URI, "al-verifier")
    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(
            metadata["token_endpoint"],
            authorization_response=location,
            state=state,
            code_verifier=generate_token(48),
        )
    assert refused.value.error == "invalid_grant"


def test_authorization_without_pkce_is_sent_back_with_an_error(
    live_server: LiveServer, metadata: dict[str, Any]
) -> None:
    """Stint requires PKCE of every client; Authlib adds it only when given a verifier."""
    client_id, secret = live_server.create_client("al no pkce", "--redirect-uri", REDIRECT_URI)
    oauth = session(metadata, client_id, client_secret=secret)
    url, state = oauth.create_authorization_url(metadata["authorization_endpoint"])
    answer = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == [state]
    assert query["iss"] == [metadata["issuer"]]


def test_httpx_client_credentials(live_server: LiveServer, metadata: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        # Authlib 1.9 prefers the httpx2 package and warns when it falls back to httpx.
        warnings.filterwarnings("ignore", "The httpx module is deprecated")
        from authlib.integrations.httpx_client import OAuth2Client as HttpxOAuth2Client

    live_server.create_user("al-httpx")
    client_id, secret = live_server.create_client(
        "al httpx", "--grant-type", "client_credentials", "--owner", "al-httpx"
    )
    with HttpxOAuth2Client(
        client_id,
        secret,
        scope="profile",
        token_endpoint=metadata["token_endpoint"],
        timeout=TIMEOUT,
    ) as client:
        token = client.fetch_token(grant_type="client_credentials")
        assert token["scope"] == "profile"
        assert "refresh_token" not in token
        greeting = client.get(f"{live_server.base_url}/api/resource")
        assert greeting.status_code == 200, greeting.text
        assert greeting.json() == {"data": "Hello, al-httpx!"}
        assert client.get(f"{live_server.base_url}/api/me").json()["username"] == "al-httpx"
        # Only the profile scope was asked for and granted.
        closed = client.get(f"{live_server.base_url}/api/activities")
        assert closed.status_code == 403, closed.text
