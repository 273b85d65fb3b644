"""The upstream transport (social login's calls to configured providers) against a real server."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stint.outbound.fetch import FetchPolicy, OutboundHttp
from stint.outbound.transport import UpstreamPolicy, UpstreamRefused, UpstreamTransport
from tests.support.upstreams.server import RunningUpstream, serve_asgi

pytestmark = pytest.mark.anyio

LIMIT = 4096
LOCAL = UpstreamPolicy(require_https=False, max_bytes=LIMIT, timeout_seconds=0.2)

Scope = dict[str, Any]


async def upstream(scope: Scope, receive: Any, send: Any) -> None:
    """An upstream with one path per behaviour under test."""
    path = scope["path"]

    async def answer(status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})

    if path == "/json":
        await answer(200, b'{"login": "ann"}', (b"content-type", b"application/json"))
    elif path == "/echo-headers":
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        await answer(200, json.dumps(headers).encode(), (b"content-type", b"application/json"))
    elif path == "/declared-large":
        await answer(200, b"x" * (LIMIT + 1), (b"content-length", str(LIMIT + 1).encode()))
    elif path == "/streamed-large":  # chunked, no Content-Length: only reading finds out
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(10):
            await send({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/gzip":
        await answer(200, gzip.compress(b"0" * 100_000), (b"content-encoding", b"gzip"))
    elif path == "/redirect":
        await answer(302, b"", (b"location", b"http://169.254.169.254/latest/meta-data/"))
    elif path == "/slow":  # holds the request until the client gives up
        while (await receive())["type"] != "http.disconnect":
            pass
    else:
        await answer(404, b"no such page")


@pytest.fixture(scope="module")
def server() -> Iterator[RunningUpstream]:
    with serve_asgi(upstream) as running:
        yield running


def client(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)


async def get(server: RunningUpstream, path: str, policy: UpstreamPolicy = LOCAL) -> httpx.Response:
    transport = UpstreamTransport(policy)
    try:
        async with client(transport) as http:
            return await http.get(server.url + path)
    finally:
        await transport.shutdown()  # the shared transport's pool; a client's close leaves it


async def test_an_answer_comes_through_with_its_status_headers_and_body(
    server: RunningUpstream,
) -> None:
    response = await get(server, "/json")
    assert response.status_code == 200
    assert response.json() == {"login": "ann"}
    assert (await get(server, "/missing")).status_code == 404


async def test_a_private_loopback_upstream_is_allowed_as_operators_run_internal_providers(
    server: RunningUpstream,
) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert (await get(server, "/json")).status_code == 200


async def test_asks_for_uncompressed_answers_and_names_itself(server: RunningUpstream) -> None:
    headers = (await get(server, "/echo-headers")).json()
    assert headers["accept-encoding"] == "identity"
    assert headers["user-agent"] == "Stint"


@pytest.mark.parametrize("path", ["/declared-large", "/streamed-large"])
async def test_an_answer_larger_than_the_limit_is_refused(
    server: RunningUpstream, path: str
) -> None:
    with pytest.raises(UpstreamRefused, match="larger than 4096 bytes"):
        await get(server, path)


async def test_a_compressed_answer_is_refused_instead_of_expanded(server: RunningUpstream) -> None:
    with pytest.raises(UpstreamRefused, match="content encoding"):
        await get(server, "/gzip")


async def test_a_redirect_is_handed_back_not_followed(server: RunningUpstream) -> None:
    response = await get(server, "/redirect")
    assert response.status_code == 302


async def test_a_slow_upstream_times_out_within_the_policy_limit(server: RunningUpstream) -> None:
    with pytest.raises(httpx.TimeoutException):
        await get(server, "/slow")


async def test_http_is_refused_when_the_policy_requires_https(server: RunningUpstream) -> None:
    with pytest.raises(UpstreamRefused, match="not https"):
        await get(server, "/json", UpstreamPolicy(require_https=True))


async def test_logs_method_host_path_and_status_never_the_query(
    server: RunningUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    transport = UpstreamTransport(LOCAL)
    with caplog.at_level(logging.INFO, logger="stint.outbound"):
        async with client(transport) as http:
            await http.get(server.url + "/json?client_secret=s3cret&code=c0de")
    await transport.shutdown()
    assert f"GET {server.url}/json answered 200" in caplog.text
    assert "s3cret" not in caplog.text
    assert "c0de" not in caplog.text


async def test_one_transport_serves_many_clients_closing_one_after_another(
    server: RunningUpstream,
) -> None:
    transport = UpstreamTransport(LOCAL)
    for _ in range(2):
        async with client(transport) as http:
            assert (await http.get(server.url + "/json")).status_code == 200
    await transport.shutdown()


async def test_outbound_http_offers_one_upstream_transport_with_its_policy() -> None:
    async with OutboundHttp(FetchPolicy(timeout_seconds=2.0, require_https=False)) as outbound:
        transport = outbound.upstream_transport()
        assert transport is outbound.upstream_transport()
        assert transport.policy == UpstreamPolicy(
            timeout_seconds=2.0, require_https=False, max_bytes=1024 * 1024
        )
