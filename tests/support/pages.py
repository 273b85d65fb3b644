"""The server-rendered pages from a test's side: an in-process browser, the hidden fields and
CSRF token of a form, what a reader sees, and the sign-in form."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser

import httpx
from starlette.applications import Starlette

from tests.conftest import PASSWORD

__all__ = [
    "browser",
    "csrf_of",
    "hidden_fields",
    "hidden_inputs",
    "sign_in",
    "submit_sign_in",
    "text_of",
]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@asynccontextmanager
async def browser(app: Starlette, address: str = "203.0.113.9") -> AsyncIterator[httpx.AsyncClient]:
    """A client with a cookie jar of its own, as a second browser would have (at ``address``)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields.append((found["name"] or "", found.get("value") or ""))


def hidden_fields(html: str) -> list[tuple[str, str]]:
    """The hidden inputs of ``html`` in order, a repeated name as often as it appears."""
    parser = _HiddenInputs()
    parser.feed(html)
    return parser.fields


def hidden_inputs(html: str) -> dict[str, str]:
    """The hidden inputs of ``html`` by name (the last of a repeated name)."""
    return dict(hidden_fields(html))


def csrf_of(page: httpx.Response) -> str:
    """The CSRF field of the first form on ``page``."""
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def text_of(page: httpx.Response) -> str:
    """The page without its tags and entities, whitespace collapsed: what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


async def submit_sign_in(
    browser: httpx.AsyncClient, username: str, password: str = PASSWORD, next_url: str = "/"
) -> httpx.Response:
    """Fill in the sign-in form; returns the POST's answer (303 to ``next`` when it worked)."""
    page = await browser.get("/login", params={"next": next_url})
    assert page.status_code == 200, page.text
    form = hidden_inputs(page.text)
    assert form["next"] == next_url
    return await browser.post("/login", data={**form, "username": username, "password": password})


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in through the login form; returns the CSRF field of the new session."""
    token = csrf_of(await client.get("/login"))
    response = await client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password, "next": "/account"},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    signed_in = csrf_of(await client.get("/account"))
    assert signed_in != token  # the field changes with the session
    return signed_in
