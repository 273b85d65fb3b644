"""The resource owner password credentials grant against in-memory stores (RFC 6749 §4.3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stint.protocol.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from stint.protocol.grants.password import PasswordGrant
from stint.protocol.messages import EndpointRequest
from tests.support.oauth_memory import MemoryOAuth, memory_oauth, web_client

pytestmark = pytest.mark.anyio

CLIENT = replace(web_client("migrating"), grant_types=frozenset({"password", "refresh_token"}))
IP = "203.0.113.7"


async def _exchange(oauth: MemoryOAuth, **params: str) -> dict[str, Any]:
    form = {"grant_type": "password"} | params
    request = EndpointRequest(form, client_ip=IP)
    return await PasswordGrant(oauth.context()).exchange(CLIENT, request)


async def test_the_right_password_gives_tokens_for_the_user_under_a_new_grant() -> None:
    """§4.3.3: an access token, and a refresh token when the client may refresh."""
    oauth = await memory_oauth()

    body = await _exchange(oauth, username="alice", password="correct horse")

    claims = await oauth.verifier().verify(body["access_token"])
    assert (claims.subject, claims.username) == ("1", "alice")
    [grant] = oauth.grants.grants.values()
    assert (grant.client_id, grant.user_id, claims.grant_id) == ("migrating", 1, grant.id)
    assert [t.grant_id for t in oauth.refresh_tokens.tokens.values()] == [grant.id]


async def test_the_password_check_is_told_the_callers_address_for_throttling() -> None:
    """RFC 6749 §4.3.2: the server MUST protect the endpoint against brute force attacks."""
    oauth = await memory_oauth()

    with pytest.raises(InvalidGrantError):
        await _exchange(oauth, username="alice", password="guess")

    assert oauth.users.attempts == [("alice", IP)]


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "guess"), ("nobody", "correct horse")]
)
async def test_a_wrong_password_or_unknown_user_is_one_indistinct_refusal(
    username: str, password: str
) -> None:
    """§5.2: invalid_grant for invalid resource owner credentials; which part, unsaid."""
    oauth = await memory_oauth()

    with pytest.raises(InvalidGrantError, match="wrong username or password"):
        await _exchange(oauth, username=username, password=password)

    assert oauth.grants.grants == {}


@pytest.mark.parametrize(
    "params", [{"password": "correct horse"}, {"username": "", "password": "x"}, {"username": "a"}]
)
async def test_a_request_without_username_or_password_is_malformed(params: dict[str, str]) -> None:
    """§4.3.2: both are REQUIRED."""
    oauth = await memory_oauth()

    with pytest.raises(InvalidRequestError, match="username and password are required"):
        await _exchange(oauth, **params)

    assert oauth.users.attempts == []  # a malformed request costs no password check


async def test_the_scope_is_checked_before_the_password() -> None:
    """A scope the client may not have is refused without spending a password check."""
    oauth = await memory_oauth()

    with pytest.raises(InvalidScopeError):
        await _exchange(oauth, username="alice", password="correct horse", scope="reports:read")

    assert oauth.users.attempts == []


async def test_a_requested_scope_narrows_the_grant() -> None:
    oauth = await memory_oauth()

    body = await _exchange(oauth, username="alice", password="correct horse", scope="profile")

    assert body["scope"] == "profile"
    [grant] = oauth.grants.grants.values()
    assert grant.scopes == {"profile"}
