"""node-oidc-provider (panva's OpenID Certified provider, npm) as an upstream of Stint's tests.

``tests/upstreams/node/provider.mjs`` serves it on a free loopback port with one static client and
the provider's own sign-in and consent pages (devInteractions): the login form takes any login name
(no password check) and that name is the person's ``sub``, with the email ``LOGIN@EMAIL_DOMAIN``,
verified, unless ``accounts`` says otherwise. ``scripts/ensure-node-deps`` installs it (``make
pytest`` runs that).
"""

from __future__ import annotations

import json
import re
import secrets
import select
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.support.processes import stop

__all__ = [
    "EMAIL_DOMAIN",
    "NODE_DIR",
    "NodeProvider",
    "node_provider",
    "query_of",
    "sign_in_and_consent",
    "start_node_provider",
]

NODE_DIR = Path(__file__).resolve().parents[1] / "upstreams" / "node"
EMAIL_DOMAIN = "node-provider.test"
# A redirect URI nothing listens on: a test that drives a backend itself stops at the redirect.
UNSERVED_REDIRECT_URI = "http://127.0.0.1:9/complete/node/"


@dataclass(frozen=True)
class NodeProvider:
    """A running node-oidc-provider and the one client registered at it."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    log: Path  # what the provider wrote to stderr (its warnings, any server_error)

    @staticmethod
    def email_of(login: str) -> str:
        """The email the provider asserts for a login name without its own ``accounts`` entry."""
        return f"{login}@{EMAIL_DOMAIN}"


def _require_node() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "node-oidc-provider is not installed: run scripts/ensure-node-deps "
            "(needs Node.js 18+ and npm; `make pytest` runs it)"
        )
    return node


@contextmanager
def start_node_provider(
    folder: Path,
    redirect_uris: Sequence[str],
    *,
    accounts: Mapping[str, Mapping[str, Any]] | None = None,
    token_endpoint_auth_method: str = "client_secret_basic",  # noqa: S107 (a method name)
) -> Iterator[NodeProvider]:
    """Start provider.mjs on a free loopback port with a client for ``redirect_uris``; stop it on
    leaving. ``accounts``: claims of named logins (``email``, ``email_verified``, ``name``)."""
    node = _require_node()
    client_id = f"stint-{secrets.token_hex(4)}"
    client_secret = secrets.token_urlsafe(32)
    config = {
        "port": 0,
        "client": {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": list(redirect_uris),
            "token_endpoint_auth_method": token_endpoint_auth_method,
        },
        "accounts": dict(accounts or {}),
        "email_domain": EMAIL_DOMAIN,
    }
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "node-provider.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [node, str(NODE_DIR / "provider.mjs"), json.dumps(config)],
            cwd=NODE_DIR,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        issuer = _issuer_when_listening(process, log_path)
        yield NodeProvider(issuer, client_id, client_secret, tuple(redirect_uris), log_path)
    finally:
        stop(process)
        if process.stdout is not None:
            process.stdout.close()


def _issuer_when_listening(process: subprocess.Popen[bytes], log_path: Path) -> str:
    """The issuer from the provider's one line on stdout, ``listening <issuer>``."""
    assert process.stdout is not None
    deadline = time.monotonic() + 20
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        chunk = process.stdout.read1(256) if ready else b""  # type: ignore[attr-defined]
        if not chunk:
            raise RuntimeError(f"node-oidc-provider did not start: {log_path.read_text()}")
        line += chunk
    word, _, issuer = line.decode().strip().partition(" ")
    if word != "listening":
        raise RuntimeError(f"node-oidc-provider said {line!r}: {log_path.read_text()}")
    return issuer


_FORM = re.compile(r'<form[^>]*action="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def sign_in_and_consent(http: httpx.Client, authorization_url: str, login: str) -> str:
    """Play the person at the provider's own pages, as a browser would: follow its redirects,
    sign in as ``login`` on its login form, press Continue on its consent page. Returns the URL
    it finally redirects to (the client's redirect URI with the code)."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    response = http.get(authorization_url)
    for _ in range(8):  # login, consent, and the redirects between them
        if response.is_redirect:
            target = str(response.url.join(response.headers["location"]))
            if not target.startswith(origin + "/"):
                return target
            response = http.get(target)
            continue
        assert response.status_code == 200, response.text
        action = _FORM.search(response.text)
        assert action is not None, response.text
        form = dict(_HIDDEN.findall(response.text))
        if form.get("prompt") == "login":
            form |= {"login": login, "password": "any (devInteractions checks none)"}
        response = http.post(response.url.join(action.group(1)), data=form)
    raise AssertionError(f"node-oidc-provider never sent the person back: {response.text}")


def query_of(url: str) -> dict[str, str]:
    """A redirect's query, one value per parameter."""
    return dict(parse_qsl(urlsplit(url).query))


@pytest.fixture(scope="session")
def node_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProvider]:
    """One node-oidc-provider per worker, its client's redirect URI unserved: for tests that
    drive a backend's ``auth_url`` and ``auth_complete`` themselves."""
    with start_node_provider(
        tmp_path_factory.mktemp("node-provider"),
        [UNSERVED_REDIRECT_URI],
        accounts={"unverified": {"email_verified": False}},
    ) as provider:
        yield provider
