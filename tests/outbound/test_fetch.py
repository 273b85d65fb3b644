"""The SSRF-safe fetcher against a real local HTTP server."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from stint.outbound.fetch import FetchError, FetchPolicy, OutboundHttp, is_public_address
from stint.protocol.oidc.ports import FetchFailedError
from stint.web.outbound_fetcher import OutboundDocumentFetcher

pytestmark = pytest.mark.anyio

LOCAL = FetchPolicy(allow_private_addresses=True, require_https=False, timeout_seconds=1.0)
PUBLIC_HTTP = FetchPolicy(require_https=False)  # the public policy, minus https for a local server
JSON_DOC = b'["https://rp.example/cb"]'


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.stop = threading.Event()
        self.posts: list[tuple[str, str]] = []
        self.authorizations: list[str | None] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/doc.json":
            self._answer(200, JSON_DOC, Content_Type="application/json")
        elif path == "/host":
            self._answer(200, self.headers["Host"].encode(), Content_Type="text/plain")
        elif path == "/large":
            self._answer(200, b"x" * 100_000, Content_Length="100000")
        elif path == "/large-streamed":  # HTTP/1.0, no length: the body ends at close
            self._answer(200, b"x" * 100_000)
        elif path == "/slow":
            self.server.stop.wait(10)
            with contextlib.suppress(OSError):  # the client gave up long ago
                self._answer(200, JSON_DOC)
        elif path == "/redirect":
            self._answer(302, b"", Location="/doc.json")
        else:
            self._answer(404, b"not found")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.posts.append((self.headers["Content-Type"], body))
        self.server.authorizations.append(self.headers["Authorization"])
        if self.path == "/redirect":
            self._answer(307, b"", Location="/logout")
        else:
            self._answer(400 if self.path == "/logout-rejected" else 200, b"")


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.stop.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 (an address to classify, not to bind)
        ("::", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("2001:db8::1", False),
    ],
)
def test_address_classifier(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_public_policy_refuses_private_addresses(server: Server) -> None:
    port = server.server_address[1]
    async with OutboundHttp(PUBLIC_HTTP) as http:
        for url in [
            f"{server.base}/doc.json",
            f"http://localhost:{port}/doc.json",
            f"http://[::1]:{port}/",
            f"http://[::ffff:127.0.0.1]:{port}/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://0.0.0.0/",
        ]:
            with pytest.raises(FetchError, match="private address"):
                await http.get(url, accept="application/json")
            with pytest.raises(FetchError, match="private address"):
                await http.post_form(url, {"logout_token": "t"})
    assert server.posts == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://user:pass@127.0.0.1/", "user name or password"),
        ("https://user@rp.example/", "user name or password"),
        ("ftp://rp.example/file", "not an http or https URL"),
        ("file:///etc/passwd", "not an http or https URL"),
        ("http://rp.example/", "not https"),
        ("https:///path", "no host"),
    ],
)
async def test_unusable_urls_are_refused(url: str, reason: str) -> None:
    async with OutboundHttp() as http:
        with pytest.raises(FetchError, match=reason):
            await http.get(url, accept="application/json")


async def test_fetches_a_document(server: Server) -> None:
    async with OutboundHttp(LOCAL) as http:
        document = await http.get(f"{server.base}/doc.json?secret=1", accept="application/json")
    assert document.status == 200
    assert document.content_type == "application/json"
    assert document.body == JSON_DOC
    assert document.url == f"{server.base}/doc.json?secret=1"


async def test_connects_to_the_resolved_address_but_sends_the_host_name(server: Server) -> None:
    url = f"http://localhost:{server.server_address[1]}/host"
    async with OutboundHttp(LOCAL) as http:
        document = await http.get(url, accept="text/plain")
    assert document.body == f"localhost:{server.server_address[1]}".encode()


@pytest.mark.parametrize("path", ["/large", "/large-streamed"])
async def test_too_large_body(server: Server, path: str) -> None:
    async with OutboundHttp(LOCAL) as http:
        with pytest.raises(FetchError, match="larger than 65536 bytes"):
            await http.get(server.base + path, accept="*/*")


async def test_slow_server_times_out(server: Server) -> None:
    policy = FetchPolicy(allow_private_addresses=True, require_https=False, timeout_seconds=0.5)
    async with OutboundHttp(policy) as http:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            await http.get(f"{server.base}/slow", accept="*/*")
    assert time.monotonic() - started < 2


async def test_redirect_is_not_followed(server: Server) -> None:
    async with OutboundHttp(LOCAL) as http:
        with pytest.raises(FetchError, match="answered 302, a redirect"):
            await http.get(f"{server.base}/redirect", accept="*/*")


async def test_not_found(server: Server) -> None:
    async with OutboundHttp(LOCAL) as http:
        with pytest.raises(FetchError, match="answered 404"):
            await http.get(f"{server.base}/missing", accept="*/*")


async def test_connection_refused(server: Server) -> None:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    async with OutboundHttp(LOCAL) as http:
        with pytest.raises(FetchError, match="could not be reached"):
            await http.get(f"http://127.0.0.1:{port}/", accept="*/*")


async def test_post_form_delivers_a_logout_token(server: Server) -> None:
    async with OutboundHttp(LOCAL) as http:
        assert await http.post_form(f"{server.base}/logout", {"logout_token": "a.b.c"}) == 200
        rejected = await http.post_form(f"{server.base}/logout-rejected", {"logout_token": "x"})
        assert rejected == 400
        with pytest.raises(FetchError, match="answered 307"):
            await http.post_form(f"{server.base}/redirect", {"logout_token": "y"})
    form = "application/x-www-form-urlencoded"
    assert server.posts == [
        (form, "logout_token=a.b.c"),
        (form, "logout_token=x"),
        (form, "logout_token=y"),
    ]


async def test_post_json_delivers_a_notification_with_its_bearer_token(server: Server) -> None:
    async with OutboundHttp(LOCAL) as http:
        sent = await http.post_json(f"{server.base}/notify", {"auth_req_id": "r1"}, bearer="t1")
        assert sent == 200
        assert await http.post_json(f"{server.base}/logout-rejected", {"a": 1}) == 400
        with pytest.raises(FetchError, match="answered 307"):
            await http.post_json(f"{server.base}/redirect", {"auth_req_id": "r2"}, bearer="t2")
    assert server.posts == [
        ("application/json", '{"auth_req_id":"r1"}'),
        ("application/json", '{"a":1}'),
        ("application/json", '{"auth_req_id":"r2"}'),
    ]
    assert server.authorizations == ["Bearer t1", None, "Bearer t2"]


async def test_post_json_keeps_the_ssrf_rules(server: Server) -> None:
    async with OutboundHttp(PUBLIC_HTTP) as http:
        with pytest.raises(FetchError, match="resolves to a private address"):
            await http.post_json(f"{server.base}/notify", {"auth_req_id": "r"}, bearer="t")
    assert server.posts == []


async def test_logs_neither_query_nor_body(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="stint.outbound")
    async with OutboundHttp(LOCAL) as http:
        await http.get(f"{server.base}/doc.json?request=secret-query", accept="*/*")
        await http.post_form(f"{server.base}/logout", {"logout_token": "secret-token"})
        await http.post_json(f"{server.base}/notify", {"token": "secret-json"}, bearer="secret-b")
    assert f"GET {server.base}/doc.json answered 200" in caplog.messages
    assert "secret" not in caplog.text
    assert "rp.example" not in caplog.text  # from the document's body


@pytest.mark.parametrize(
    ("policy", "path", "reason"),
    [
        (LOCAL, "/missing", "answered 404"),
        (LOCAL, "/redirect", "answered 302"),
        (
            FetchPolicy(allow_private_addresses=True, require_https=False, timeout_seconds=0.3),
            "/slow",
            "timed out",
        ),
        (PUBLIC_HTTP, "/doc.json", "resolves to a private address"),
    ],
)
async def test_the_document_fetcher_tells_the_client_only_that_the_fetch_failed(
    server: Server, caplog: pytest.LogCaptureFixture, policy: FetchPolicy, path: str, reason: str
) -> None:
    # A status, a timeout or an address would tell whoever chose the URL what is behind it.
    caplog.set_level("INFO", logger="stint.outbound")
    async with OutboundHttp(policy) as http:
        with pytest.raises(FetchFailedError) as failed:
            await OutboundDocumentFetcher(http).fetch(server.base + path, accept="*/*")
    assert str(failed.value) == "could not be fetched"
    assert reason in caplog.text  # the operator still sees why
