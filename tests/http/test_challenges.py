"""WWW-Authenticate challenges (RFC 6750 §3), built in one place for every surface."""

from __future__ import annotations

import httpx
import pytest

from stint.protocol.errors import InsufficientScopeError, InvalidTokenError
from stint.web.challenges import BASIC_CHALLENGE, bearer_challenge


def test_a_request_without_a_token_gets_no_error_code() -> None:
    assert bearer_challenge() == 'Bearer realm="stint"'


def test_a_refused_token_is_named_with_its_description() -> None:
    challenge = bearer_challenge(InvalidTokenError("the access token expired"))
    assert challenge == (
        'Bearer realm="stint", error="invalid_token", error_description="the access token expired"'
    )


def test_insufficient_scope_names_the_scope_that_would_do() -> None:
    challenge = bearer_challenge(InsufficientScopeError("activities:write"))
    assert 'error="insufficient_scope"' in challenge
    assert challenge.endswith(', scope="activities:write"')


def test_a_description_is_made_quotable_printable_ascii() -> None:
    challenge = bearer_challenge(InvalidTokenError('bad "token" \\ for Zoë\n'))
    assert "error_description=\"bad 'token' ? for Zo??\"" in challenge
    challenge.encode("ascii")  # a header value that every server can send


def test_basic_announces_utf8() -> None:
    assert BASIC_CHALLENGE == 'Basic realm="stint", charset="UTF-8"'


@pytest.mark.anyio
async def test_userinfo_without_a_token_is_challenged_without_an_error_code(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/o/userinfo/")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="stint"'
    assert answer.json()["error"] == "invalid_token"
