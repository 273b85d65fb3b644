"""The token, revocation and introspection endpoints answer as every other route does.

Their POSTs skip routing (OAuthEndpointsDispatch), yet a wrong method, a body over the limit and
an unexpected error get the app's own answers: the router's 405 with Allow, the body limit's 413,
a logged 500 (RFC 6749 server_error here) with nothing leaked; security headers on all of them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.endpoints.introspection import IntrospectionEndpoint
from stint.protocol.endpoints.revocation import RevocationEndpoint
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.oidc.userinfo import UserInfoEndpoint
from stint.protocol.token_validation import TokenValidator
from tests.conftest import Account, basic, make_client, problem

pytestmark = pytest.mark.anyio

ENDPOINTS = {
    "/o/token/": TokenEndpoint,
    "/o/revoke_token/": RevocationEndpoint,
    "/o/introspect/": IntrospectionEndpoint,
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LEAKED = "a secret detail 0xdeadbeef"


def _security_headers(response: httpx.Response) -> dict[str, str]:
    names = (
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "content-security-policy",
    )
    return {name: response.headers.get(name, "") for name in names}


@pytest.fixture
async def api_answer(client: httpx.AsyncClient) -> httpx.Response:
    """An ordinary route's answer, for its security headers."""
    return await client.get("/api/time")


@pytest.mark.parametrize("path", list(ENDPOINTS))
async def test_another_method_gets_the_routers_405_with_allow(
    client: httpx.AsyncClient, api_answer: httpx.Response, path: str
) -> None:
    routed = await client.get("/api/timer/start")  # a POST-only route of the API
    assert routed.headers["allow"] == "POST"
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        answer = await client.request(method, path)
        assert problem(answer, 405) == problem(routed, 405)
        assert answer.headers["allow"] == "POST"
        assert _security_headers(answer) == _security_headers(api_answer)
    head = await client.head(path)
    assert (head.status_code, head.headers["allow"]) == (405, "POST")


async def _chunks(size: int) -> AsyncIterator[bytes]:
    yield b"token="
    for _ in range(size // 1000):
        yield b"x" * 1000


@pytest.mark.parametrize("path", list(ENDPOINTS))
async def test_a_body_over_the_limit_gets_the_same_413_declared_or_streamed(
    client: httpx.AsyncClient, api_answer: httpx.Response, alice: Account, path: str
) -> None:
    big = b"token=" + b"x" * 5000  # the tests' limit is 4096 bytes
    headers = {**alice.bearer, "Content-Type": "application/json"}
    routed = await client.post("/api/activities", content=big, headers=headers)
    expected = problem(routed, 413)
    assert "4096 bytes" in expected["detail"]
    declared = await client.post(path, content=big, headers=FORM)
    streamed = await client.post(path, content=_chunks(5000), headers=FORM)
    assert "content-length" not in streamed.request.headers  # sent chunked: no size up front
    for answer in (declared, streamed):
        assert problem(answer, 413) == expected
        assert answer.headers["connection"] == "close"
        assert _security_headers(answer) == _security_headers(api_answer)


async def test_a_streamed_body_over_the_limit_at_an_api_route_also_closes_the_connection(
    client: httpx.AsyncClient, alice: Account
) -> None:
    headers = {**alice.bearer, "Content-Type": "application/json"}
    answer = await client.post("/api/activities", content=_chunks(5000), headers=headers)
    problem(answer, 413)
    assert answer.headers["connection"] == "close"


@pytest.mark.parametrize(("path", "endpoint"), list(ENDPOINTS.items()))
async def test_an_unexpected_error_is_one_logged_server_error_that_leaks_nothing(
    client: httpx.AsyncClient,
    api_answer: httpx.Response,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    path: str,
    endpoint: type,
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(LEAKED)

    monkeypatch.setattr(endpoint, "handle", broken)
    with caplog.at_level(logging.ERROR):
        answer = await client.post(path, data={"grant_type": "client_credentials", "token": "x"})
    assert answer.status_code == 500
    assert answer.json() == {"error": "server_error"}
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert LEAKED not in answer.text
    assert _security_headers(answer) == _security_headers(api_answer)
    logged = [r for r in caplog.records if r.name.startswith("stint")]
    assert [r.exc_info is not None for r in logged] == [True]
    assert path in logged[0].getMessage()


async def test_an_unexpected_error_at_userinfo_is_a_server_error_too(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(LEAKED)

    monkeypatch.setattr(UserInfoEndpoint, "handle", broken)
    answer = await client.get("/o/userinfo/", headers={"Authorization": "Bearer x"})
    assert (answer.status_code, answer.json()) == (500, {"error": "server_error"})
    assert LEAKED not in answer.text


async def test_an_unexpected_error_at_the_api_stays_a_problem(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(LEAKED)

    monkeypatch.setattr(TokenValidator, "validate", broken)
    answer = await client.get("/api/resource", headers={"Authorization": "Bearer x"})
    assert problem(answer, 500) == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
    }


async def test_answers_and_oauth_errors_carry_the_security_headers(
    app: Starlette, client: httpx.AsyncClient, api_answer: httpx.Response
) -> None:
    client_id, secret = await make_client(app, name="Service", grant_types=["client_credentials"])
    assert secret is not None
    data = {"grant_type": "client_credentials"}
    issued = await client.post("/o/token/", data=data, headers=basic(client_id, secret))
    refused = await client.post("/o/token/", data=data, headers=basic(client_id, "wrong"))
    assert (issued.status_code, refused.status_code) == (200, 401)
    for answer in (issued, refused):
        assert _security_headers(answer) == _security_headers(api_answer)


async def test_a_client_gone_before_its_body_arrived_gets_no_answer_and_no_token(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled: list[object] = []

    async def handle(_endpoint: object, request: object) -> None:
        handled.append(request)

    monkeypatch.setattr(TokenEndpoint, "handle", handle)
    sent: list[object] = []
    messages: list[dict[str, object]] = [
        {"type": "http.request", "body": b"grant_type=client_", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: object) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/o/token/",
        "raw_path": b"/o/token/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "client": ("203.0.113.7", 40000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    assert (handled, sent) == ([], [])
