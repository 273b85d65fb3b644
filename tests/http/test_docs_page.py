"""GET /api/docs: Swagger UI, every file of it served by Stint itself (no CDN, nothing inline)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.anyio

JS_TYPES = ("text/javascript", "application/javascript")
ANY_URL = re.compile(r"""(?:https?:)?//[^\s"'<>()]+""", re.IGNORECASE)


class Page(HTMLParser):
    """What an HTML page loads: script sources, stylesheets, icons; and any inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.icons: list[str] = []
        self.inline_scripts: list[str] = []
        self.ids: set[str] = set()
        self.urls: list[str] = []  # every src and href
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.urls += [values[name] for name in ("src", "href") if name in values]
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "script":
            self._in_script = True
            if "src" in values:
                self.scripts.append(values["src"])
        if tag == "link" and "stylesheet" in values.get("rel", "").split():
            self.stylesheets.append(values["href"])
        if tag == "link" and "icon" in values.get("rel", "").split():
            self.icons.append(values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


async def docs_page(client: httpx.AsyncClient) -> tuple[httpx.Response, Page]:
    response = await client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Page()
    page.feed(response.text)
    page.close()
    return response, page


async def test_page_loads_its_scripts_and_styles_from_its_own_assets(
    client: httpx.AsyncClient,
) -> None:
    _, page = await docs_page(client)
    assert page.scripts, "the page loads Swagger UI"
    assert page.stylesheets
    assert any(s.startswith("/api/docs/assets/") for s in page.scripts)
    assert all(s.startswith("/api/docs/assets/") for s in page.stylesheets + page.icons)
    assert all(s.startswith("/api/docs/") for s in page.scripts)
    # Same origin: every src and href is a path, not a URL with a host (nor a //host one).
    assert page.urls and all(u.startswith("/") and not u.startswith("//") for u in page.urls)


async def test_page_names_no_other_host(client: httpx.AsyncClient) -> None:
    response, _ = await docs_page(client)
    hosts = {urlsplit(url).hostname for url in ANY_URL.findall(response.text)}
    assert hosts - {"testserver"} == set()


async def test_page_runs_no_inline_script_and_its_policy_allows_only_itself(
    client: httpx.AsyncClient,
) -> None:
    response, page = await docs_page(client)
    assert page.inline_scripts == [], "script-src 'self' would block an inline script"
    policy = {
        name: sources
        for name, *sources in (
            directive.split()
            for directive in response.headers["content-security-policy"].split(";")
        )
    }
    assert policy["default-src"] == ["'self'"]
    assert "script-src" not in policy  # scripts fall back to default-src: 'self' only
    for sources in policy.values():
        assert not any(ANY_URL.match(source) or "*" in source for source in sources), policy


async def test_assets_are_served_with_script_and_style_types(client: httpx.AsyncClient) -> None:
    _, page = await docs_page(client)
    for src in page.scripts:
        response = await client.get(src)
        assert response.status_code == 200, src
        assert response.headers["content-type"].split(";")[0] in JS_TYPES, src
        assert response.headers["x-content-type-options"] == "nosniff"
        assert len(response.content) > 100, src
    for href in page.stylesheets:
        response = await client.get(href)
        assert response.status_code == 200, href
        assert response.headers["content-type"].split(";")[0] == "text/css", href
        assert len(response.content) > 1000, href
    for href in page.icons:
        response = await client.get(href)
        assert response.status_code == 200, href
        assert response.headers["content-type"].startswith("image/"), href
    bundle = await client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content


async def test_init_script_points_at_the_openapi_document(client: httpx.AsyncClient) -> None:
    _, page = await docs_page(client)
    assert "/api/docs/init.js" in page.scripts
    # It runs after the bundle it calls.
    assert page.scripts.index("/api/docs/init.js") > page.scripts.index(
        "/api/docs/assets/swagger-ui-bundle.js"
    )
    init = await client.get("/api/docs/init.js")
    assert init.status_code == 200
    assert init.headers["content-type"].split(";")[0] in JS_TYPES
    assert "SwaggerUIBundle(" in init.text
    urls = re.findall(r"""\burl:\s*["']([^"']+)["']""", init.text)
    assert urls == ["/api/openapi.json"]
    dom_id = re.search(r"""dom_id:\s*["']#([\w-]+)["']""", init.text)
    assert dom_id is not None and dom_id.group(1) in page.ids
    document = await client.get(urls[0])
    assert document.status_code == 200
    assert document.json()["openapi"] == "3.1.0"


async def test_assets_outside_the_bundle_are_not_served(client: httpx.AsyncClient) -> None:
    for path in (
        "/api/docs/assets/no-such-file.js",
        "/api/docs/assets/../docs.py",
        "/api/docs/assets/%2e%2e/%2e%2e/openapi.py",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
