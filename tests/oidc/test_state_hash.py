"""s_hash, the ID token's hash of ``state`` (FAPI 1.0 Advanced §5.2.2.1): OIDC Core §3.3.2.11
hashes "the ASCII representation" of a value; a ``state`` outside ASCII is hashed as its UTF-8
bytes, which are the same bytes for an ASCII one, and never turns the response into a 500."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account
from tests.oidc.flows_support import fragment
from tests.oidc.support import (
    authorization_url,
    authorize,
    oidc_client,
    verify_id_token,
)
from tests.support.pages import browser

pytestmark = pytest.mark.anyio


def _s_hash(state: str) -> str:
    """The left half of SHA-256 over the UTF-8 bytes, base64url, computed here from scratch."""
    digest = hashlib.sha256(state.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("state", ["Zürich ☕ état", "plain-ascii-state"])
async def test_the_id_token_hashes_the_state_as_utf8_even_outside_ascii(
    app: Starlette, client: httpx.AsyncClient, alice: Account, state: str
) -> None:
    rp = await oidc_client(app, response_types=("code id_token",))
    url = authorization_url(rp.client_id, response_type="code id_token", state=state)
    async with browser(app) as b:
        first = fragment(await authorize(b, url, "alice"))
        # Consent is remembered: the next such request is answered at once, as well.
        second = fragment(await b.get(url))
    for params in (first, second):
        assert params["state"] == state
        verified = await verify_id_token(
            client, params["id_token"], rp.client_id, code=params["code"]
        )
        assert verified.claims["s_hash"] == _s_hash(state)
