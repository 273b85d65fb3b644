"""requests-oauthlib against a real Stint server, as the Django OAuth Toolkit guide uses it.

Everything goes over loopback to a `stint serve` subprocess; OAUTHLIB_INSECURE_TRANSPORT lets
oauthlib speak plain http to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient, InvalidClientError, InvalidGrantError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from tests.conftest import LiveServer
from tests.interop.browser import approve

REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPES = ["activities:read", "activities:write", "profile"]
TIMEOUT = 10


@pytest.fixture(autouse=True)
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def token_url(server: LiveServer) -> str:
    return f"{server.base_url}/o/token/"


def introspect(server: LiveServer, auth: tuple[str, str], token: str) -> dict[str, Any]:
    response = requests.post(
        f"{server.base_url}/o/introspect/", data={"token": token}, auth=auth, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer_get(server: LiveServer, path: str, access_token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(f"{server.base_url}{path}", headers=headers, timeout=TIMEOUT)


# --- client credentials, exactly as the DOT guide does it -------------------------------------


def test_client_credentials_of_a_client_with_an_owner_acts_for_the_owner(
    live_server: LiveServer,
) -> None:
    live_server.create_user("ro-owner")
    client_id, secret = live_server.create_client(
        "ro backend", "--grant-type", "client_credentials", "--owner", "ro-owner"
    )
    assert secret is not None
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = oauth.fetch_token(
        token_url=token_url(live_server), client_id=client_id, client_secret=secret
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] > 0
    assert "refresh_token" not in token  # RFC 6749 §4.4.3
    assert set(token["scope"]) >= {"activities:read", "profile"}
    response = oauth.get(f"{live_server.base_url}/api/resource", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": "Hello, ro-owner!"}
    me = oauth.get(f"{live_server.base_url}/api/me", timeout=TIMEOUT)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "ro-owner"


@pytest.mark.parametrize("opaque", [False, True], ids=["jwt", "opaque"])
def test_client_credentials_of_an_ownerless_client_speaks_for_the_client(
    live_server: LiveServer, opaque: bool
) -> None:
    options = ["--grant-type", "client_credentials", *(["--opaque-tokens"] if opaque else [])]
    client_id, secret = live_server.create_client("ro service", *options)
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = oauth.fetch_token(
        token_url=token_url(live_server), client_id=client_id, client_secret=secret
    )
    assert (str(token["access_token"]).count(".") == 2) is not opaque
    response = oauth.get(f"{live_server.base_url}/api/resource", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": f"Hello, {client_id}!"}
    # It acts for no user, so user resources stay closed to it.
    me = oauth.get(f"{live_server.base_url}/api/me", timeout=TIMEOUT)
    assert me.status_code == 401, me.text
    assert secret is not None
    revoked = requests.post(
        f"{live_server.base_url}/o/revoke_token/",
        data={"token": token["access_token"]},
        auth=(client_id, secret),
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200, revoked.text
    after = oauth.get(f"{live_server.base_url}/api/resource", timeout=TIMEOUT)
    assert after.status_code == 401, after.text


def test_client_credentials_with_a_wrong_secret_is_invalid_client(
    live_server: LiveServer,
) -> None:
    client_id, _ = live_server.create_client("ro wrong", "--grant-type", "client_credentials")
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    with pytest.raises(InvalidClientError):
        oauth.fetch_token(
            token_url=token_url(live_server), client_id=client_id, client_secret="not-the-secret"
        )
    assert not oauth.authorized


# --- authorization code with PKCE ---------------------------------------------------------------


def authorized_session(
    server: LiveServer, username: str, client_id: str, secret: str, **fetch: Any
) -> OAuth2Session:
    """A WebApplicationClient session through the whole code flow, with PKCE S256."""
    oauth = OAuth2Session(client_id, redirect_uri=REDIRECT_URI, scope=SCOPES, pkce="S256")
    url, state = oauth.authorization_url(f"{server.base_url}/o/authorize/")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_type"] == ["code"]
    location = approve(url, REDIRECT_URI, username)
    answer = parse_qs(urlsplit(location).query)
    assert answer["state"] == [state]
    assert answer["iss"] == [server.base_url]  # RFC 9207
    oauth.fetch_token(
        token_url(server), authorization_response=location, client_secret=secret, **fetch
    )
    return oauth


def test_code_flow_with_pkce_then_the_api(live_server: LiveServer) -> None:
    live_server.create_user("ro-web")
    client_id, secret = live_server.create_client("ro web", "--redirect-uri", REDIRECT_URI)
    assert secret is not None
    oauth = authorized_session(live_server, "ro-web", client_id, secret)
    assert oauth.authorized
    assert sorted(oauth.token["scope"]) == sorted(SCOPES)
    assert oauth.token["refresh_token"]
    listed = oauth.get(f"{live_server.base_url}/api/activities", timeout=TIMEOUT)
    assert listed.status_code == 200, listed.text
    created = oauth.post(
        f"{live_server.base_url}/api/activities", json={"name": "Interop"}, timeout=TIMEOUT
    )
    assert created.status_code == 201, created.text
    me = oauth.get(f"{live_server.base_url}/api/me", timeout=TIMEOUT)
    assert me.json()["username"] == "ro-web"
    # Not granted: time entries.
    entries = oauth.get(f"{live_server.base_url}/api/time-entries", timeout=TIMEOUT)
    assert entries.status_code == 403, entries.text


def test_refresh_rotates_and_the_old_refresh_token_is_refused(live_server: LiveServer) -> None:
    live_server.create_user("ro-refresh")
    client_id, secret = live_server.create_client("ro refresh", "--redirect-uri", REDIRECT_URI)
    assert secret is not None
    oauth = authorized_session(live_server, "ro-refresh", client_id, secret)
    first = dict(oauth.token)
    # client_secret_basic, as registered: requests-oauthlib needs the Basic auth passed in.
    renewed = oauth.refresh_token(token_url(live_server), auth=HTTPBasicAuth(client_id, secret))
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["access_token"] != first["access_token"]
    me = oauth.get(f"{live_server.base_url}/api/me", timeout=TIMEOUT)
    assert me.status_code == 200, me.text
    with pytest.raises(InvalidGrantError):
        oauth.refresh_token(
            token_url(live_server),
            refresh_token=first["refresh_token"],
            auth=HTTPBasicAuth(client_id, secret),
        )


def test_dot_guide_calls_for_a_client_secret_post_client(live_server: LiveServer) -> None:
    """The guide's refresh call puts client_id and client_secret in the body: client_secret_post.

    Stint holds a client to its registered method, so such a client registers
    client_secret_post and asks fetch_token to put its credentials in the body too.
    """
    live_server.create_user("ro-post")
    client_id, secret = live_server.create_client(
        "ro post", "--redirect-uri", REDIRECT_URI, "--auth-method", "client_secret_post"
    )
    assert secret is not None
    oauth = authorized_session(live_server, "ro-post", client_id, secret, include_client_id=True)
    old_refresh = oauth.token["refresh_token"]
    renewed = oauth.refresh_token(token_url(live_server), client_id=client_id, client_secret=secret)
    assert renewed["refresh_token"] != old_refresh
    assert oauth.get(f"{live_server.base_url}/api/activities", timeout=TIMEOUT).status_code == 200
    with pytest.raises(InvalidGrantError):
        oauth.refresh_token(
            token_url(live_server),
            refresh_token=old_refresh,
            client_id=client_id,
            client_secret=secret,
        )


def test_the_other_client_authentication_method_is_refused_clearly(
    live_server: LiveServer,
) -> None:
    """The guide's refresh call, verbatim, for a client registered with client_secret_basic."""
    live_server.create_user("ro-mixed")
    client_id, secret = live_server.create_client("ro mixed", "--redirect-uri", REDIRECT_URI)
    assert secret is not None
    oauth = authorized_session(live_server, "ro-mixed", client_id, secret)
    with pytest.raises(InvalidClientError) as refused:
        oauth.refresh_token(token_url(live_server), client_id=client_id, client_secret=secret)
    assert "client_secret_basic" in str(refused.value.description)


def test_revoking_the_access_token_ends_it_at_once(live_server: LiveServer) -> None:
    live_server.create_user("ro-revoke")
    client_id, secret = live_server.create_client("ro revoke", "--redirect-uri", REDIRECT_URI)
    assert secret is not None
    oauth = authorized_session(live_server, "ro-revoke", client_id, secret)
    access = str(oauth.token["access_token"])
    seen = introspect(live_server, (client_id, secret), access)
    assert seen["active"] is True
    assert seen["client_id"] == client_id
    assert seen["username"] == "ro-revoke"
    revoked = requests.post(
        f"{live_server.base_url}/o/revoke_token/",
        data={"token": access, "token_type_hint": "access_token"},
        auth=(client_id, secret),
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200, revoked.text
    refused = bearer_get(live_server, "/api/me", access)
    assert refused.status_code == 401, refused.text
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert introspect(live_server, (client_id, secret), access) == {"active": False}


def test_revoking_the_refresh_token_ends_the_grant(live_server: LiveServer) -> None:
    live_server.create_user("ro-revoke-rt")
    client_id, secret = live_server.create_client("ro revoke rt", "--redirect-uri", REDIRECT_URI)
    assert secret is not None
    oauth = authorized_session(live_server, "ro-revoke-rt", client_id, secret)
    access, refresh = str(oauth.token["access_token"]), str(oauth.token["refresh_token"])
    assert introspect(live_server, (client_id, secret), refresh)["active"] is True
    revoked = requests.post(
        f"{live_server.base_url}/o/revoke_token/",
        data={"token": refresh},
        auth=(client_id, secret),
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200, revoked.text
    # RFC 7009 §2.1: the grant's access tokens go with it.
    assert bearer_get(live_server, "/api/me", access).status_code == 401
    assert introspect(live_server, (client_id, secret), access) == {"active": False}
    assert introspect(live_server, (client_id, secret), refresh) == {"active": False}
    with pytest.raises(InvalidGrantError):
        oauth.refresh_token(token_url(live_server), auth=HTTPBasicAuth(client_id, secret))


def test_a_wrong_code_verifier_is_refused(live_server: LiveServer) -> None:
    live_server.create_user("ro-pkce")
    client_id, secret = live_server.create_client("ro pkce", "--redirect-uri", REDIRECT_URI)
    assert secret is not None
    oauth = OAuth2Session(client_id, redirect_uri=REDIRECT_URI, scope=SCOPES, pkce="S256")
    url, _ = oauth.authorization_url(f"{live_server.base_url}/o/authorize/")
    location = approve(url, REDIRECT_URI, "ro-pkce")
    oauth._code_verifier = "x" * 43  # what an attacker who stole the code would have to guess
    with pytest.raises(InvalidGrantError):
        oauth.fetch_token(
            token_url(live_server), authorization_response=location, client_secret=secret
        )
    assert not oauth.authorized
