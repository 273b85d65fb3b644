"""Security headers: every answer refuses sniffing and framing; documents get the full set."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    [policy] = response.headers.get_list("content-security-policy")
    return {p[0]: p[1:] for p in (d.split() for d in policy.split(";")) if p}


def _assert_never_sniffed_nor_framed(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert _policy(response)["frame-ancestors"] == ["'none'"]


async def test_a_page_gets_the_document_headers(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    assert page.headers["content-type"].startswith("text/html")
    _assert_never_sniffed_nor_framed(page)
    assert _policy(page)["default-src"] == ["'self'"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cross-origin-opener-policy"] == "same-origin"


async def test_a_redirect_keeps_its_referrer_policy(client: httpx.AsyncClient) -> None:
    # Fetch applies a redirect's Referrer-Policy to the request that follows it.
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["referrer-policy"] == "no-referrer"
    _assert_never_sniffed_nor_framed(response)


@pytest.mark.parametrize("path", ["/.well-known/oauth-authorization-server", "/api/resource"])
async def test_json_may_load_nothing_and_be_framed_nowhere(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)  # metadata (200), and a problem (401)
    assert response.headers["content-type"].split(";")[0].endswith("json")
    _assert_never_sniffed_nor_framed(response)
    assert _policy(response)["default-src"] == ["'none'"]
    assert response.headers.get_list("content-security-policy") == [
        response.headers["content-security-policy"]
    ]
