"""Real device-flow clients (RFC 8628) against a running Stint, a person in headless Chromium
answering on /device.

- oauthlib's ``DeviceClient`` (the Python client requests-oauthlib builds on), over requests:
  the device shows the code, the person types it at ``verification_uri``.
- panva's openid-client 5.x (npm), ``tests/upstreams/node/device_client.mjs``: discovery,
  ``Client#deviceAuthorization``, ``DeviceFlowHandle#poll`` (which validates the ID token); the
  person opens ``verification_uri_complete``, the code already filled in.

The server polls at a one-second interval so the clients' own waiting stays short.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from oauthlib.oauth2 import DeviceClient, OAuth2Error
from playwright.sync_api import expect

from tests.browser.support import fill_login_form
from tests.conftest import LiveServer, running_server
from tests.support.chromium import Browser
from tests.support.node_provider import NODE_DIR
from tests.support.processes import stop

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPE = "openid activities:read"
TIMEOUT = 10
INTERVAL = 1  # STINT_DEVICE_POLL_INTERVAL_SECONDS of the server below


@pytest.fixture(scope="module")
def device_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template_with_keys: Path
) -> Iterator[LiveServer]:
    with running_server(
        tmp_path_factory.mktemp("device"),
        template=sqlite_template_with_keys,
        STINT_DEVICE_POLL_INTERVAL_SECONDS=str(INTERVAL),
    ) as server:
        yield server


@pytest.fixture(autouse=True)
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the server is plain http on loopback


def _metadata(server: LiveServer) -> dict[str, Any]:
    answered = requests.get(
        f"{server.base_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT
    )
    assert answered.status_code == 200, answered.text
    document: dict[str, Any] = answered.json()
    return document


def _device_client(server: LiveServer, name: str, username: str) -> str:
    server.create_user(username)
    client_id, secret = server.create_client(
        name, "--type", "public", "--grant-type", DEVICE_CODE_GRANT, "--grant-type", "refresh_token"
    )
    assert secret is None
    return client_id


def _answer_on_device(
    browser: Browser,
    url: str,
    *,
    username: str,
    client_name: str,
    user_code: str,
    typed: bool,
    decision: str = "Allow",
) -> None:
    """Open ``url`` signed out, sign in, (type the code,) continue, check the code, decide."""
    page = browser.page
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdevice"))
    fill_login_form(page, username)
    expect(page.get_by_role("heading", name="Connect a device")).to_be_visible()
    field = page.get_by_label("Code")
    if typed:
        expect(field).to_have_value("")
        field.fill(user_code.lower().replace("-", " "))  # §6.1: case and separators ignored
    else:
        expect(field).to_have_value(user_code)  # filled in from verification_uri_complete
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{client_name} wants to use your Stint account"
    )
    expect(page.locator("#shown-code")).to_have_text(user_code)
    expect(page.locator('ul.scopes li[data-scope="activities:read"]')).to_be_visible()
    page.get_by_role("button", name=decision, exact=True).click()
    done = "Device connected" if decision == "Allow" else "Request denied"
    expect(page.get_by_role("heading", name=done)).to_be_visible()
    assert browser.errors == []  # no CSP violation, no failed stylesheet


# --- oauthlib -----------------------------------------------------------------------------------


def _poll(oauth: DeviceClient, token_endpoint: str, device_code: str) -> dict[str, Any] | str:
    """One token request (§3.4) as oauthlib prepares and parses it: the tokens, or the error."""
    body = oauth.prepare_request_body(device_code, include_client_id=True)
    answered = requests.post(
        token_endpoint,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    try:
        return dict(oauth.parse_request_body_response(answered.text, scope=SCOPE.split()))
    except OAuth2Error as exc:
        error: str = exc.error
        return error


def test_oauthlibs_device_client_gets_tokens_once_the_person_allows_in_chromium(
    device_server: LiveServer, browser: Browser
) -> None:
    client_id = _device_client(device_server, "Python Timer", "dev-ada")
    metadata = _metadata(device_server)
    oauth = DeviceClient(client_id, scope=SCOPE.split())
    # oauthlib prepares the §3.1 parameters; RFC 8628 sends them as a form body.
    prepared = oauth.prepare_request_uri(metadata["device_authorization_endpoint"])
    started = requests.post(
        metadata["device_authorization_endpoint"],
        data=urlsplit(prepared).query,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    assert started.status_code == 200, started.text
    codes = started.json()
    assert codes["interval"] == INTERVAL
    before = _poll(oauth, metadata["token_endpoint"], codes["device_code"])
    polled_at = time.monotonic()

    _answer_on_device(
        browser,
        codes["verification_uri"],
        username="dev-ada",
        client_name="Python Timer",
        user_code=codes["user_code"],
        typed=True,
    )
    # The device keeps to its interval (§3.5), as any device must.
    time.sleep(max(0.0, polled_at + codes["interval"] - time.monotonic()))
    after = _poll(oauth, metadata["token_endpoint"], codes["device_code"])

    assert before == "authorization_pending"
    assert isinstance(after, dict), after
    assert after["token_type"] == "Bearer"
    assert after["refresh_token"] and after["id_token"]
    assert oauth.access_token == after["access_token"]
    listed = requests.get(
        f"{device_server.base_url}/api/activities",
        headers={"Authorization": f"Bearer {oauth.access_token}"},
        timeout=TIMEOUT,
    )
    assert listed.status_code == 200, listed.text
    again = _poll(oauth, metadata["token_endpoint"], codes["device_code"])
    assert again == "invalid_grant"  # the device code is spent


# --- openid-client (npm) ------------------------------------------------------------------------


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        pytest.fail(
            "openid-client is not installed: run scripts/ensure-node-deps "
            "(needs Node.js 18+ and npm; `make pytest` runs it)"
        )
    return node


def _line(process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    """The next JSON line the device client writes."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([process.stdout], [], [], left)
        chunk = process.stdout.read1(4096) if ready else b""  # type: ignore[attr-defined]
        if not chunk:
            raise AssertionError(f"device_client.mjs said no more; it wrote {line!r}")
        line += chunk
    said: dict[str, Any] = json.loads(line)
    return said


def _run_node_device(
    server: LiveServer, client_id: str, tmp_path: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    config = {"issuer": server.base_url, "client_id": client_id, "scope": SCOPE}
    log = tmp_path / "device_client.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [_node(), str(NODE_DIR / "device_client.mjs"), json.dumps(config)],
            cwd=NODE_DIR,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
    return process, log


def test_openid_client_gets_tokens_and_a_valid_id_token_once_the_person_allows(
    device_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    client_id = _device_client(device_server, "Node Kiosk", "dev-bea")
    process, log = _run_node_device(device_server, client_id, tmp_path)
    try:
        shown = _line(process, TIMEOUT)
        _answer_on_device(
            browser,
            shown["verification_uri_complete"],
            username="dev-bea",
            client_name="Node Kiosk",
            user_code=shown["user_code"],
            typed=False,
        )
        outcome = _line(process, 30)
        assert process.wait(TIMEOUT) == 0, log.read_text()
    finally:
        stop(process)
        if process.stdout is not None:
            process.stdout.close()
    assert shown["verification_uri"] == f"{device_server.base_url}/device"
    tokens, claims = outcome["tokens"], outcome["claims"]
    assert tokens["token_type"].lower() == "bearer"
    assert set(tokens["scope"].split()) == set(SCOPE.split())
    assert tokens["refresh_token"]
    # openid-client validated the ID token (signature from jwks_uri, iss, aud, exp, iat).
    assert claims["iss"] == device_server.base_url
    assert claims["aud"] == client_id or client_id in claims["aud"]
    assert claims["sid"] and claims["auth_time"]
    assert "nonce" not in claims


def test_openid_client_hears_access_denied_when_the_person_denies(
    device_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    client_id = _device_client(device_server, "Node Sign", "dev-cy")
    process, log = _run_node_device(device_server, client_id, tmp_path)
    try:
        shown = _line(process, TIMEOUT)
        _answer_on_device(
            browser,
            shown["verification_uri_complete"],
            username="dev-cy",
            client_name="Node Sign",
            user_code=shown["user_code"],
            typed=False,
            decision="Deny",
        )
        outcome = _line(process, 30)
        assert process.wait(TIMEOUT) == 3, log.read_text()
    finally:
        stop(process)
        if process.stdout is not None:
            process.stdout.close()
    assert outcome["error"] == "access_denied"
