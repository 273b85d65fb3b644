# mypy: allow-untyped-defs
# ruff: noqa: RUF012
"""python-social-auth's "Adding a new backend" page: its GitHub example, written as it stands
there (docs/backends/implementation.rst, "OAuth2"), signs in to Stint.

Only the import differs (``stint.connectors.oauth`` for ``social_core.backends.oauth``), the
URLs point at the local GitHub, and ``urlencode``, which the page uses without showing its
import, is imported. The page's plain ``user_data`` with its blocking ``self.get_json(url)`` runs
as written; so does the same class with an ``async def user_data``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from stint.connectors.oauth import BaseOAuth2
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.github import FakeGitHub, GitHubUser
from tests.support.upstreams.server import serve_fake
from tests.support.upstreams.sign_in import SignIn

pytestmark = pytest.mark.anyio

CALLBACK = "http://127.0.0.1:9/complete/github/"


def page_example(github: str) -> type[BaseOAuth2]:
    """The page's class; ``github`` is where the fake GitHub is served."""

    # fmt: off
    class GitHubOAuth2(BaseOAuth2):
        """GitHub OAuth authentication backend"""
        name = 'github'
        AUTHORIZATION_URL = f'{github}/login/oauth/authorize'
        ACCESS_TOKEN_URL = f'{github}/login/oauth/access_token'
        ACCESS_TOKEN_METHOD = 'POST'
        SCOPE_SEPARATOR = ','
        EXTRA_DATA = [
            ('id', 'id'),
            ('expires', 'expires')
        ]

        def get_user_details(self, response):
            """Return user details from GitHub account"""
            return {'username': response.get('login'),
                    'email': response.get('email') or '',
                    'fullname': response.get('name')}

        def user_data(self, access_token, *args, **kwargs):
            """Loads user data from service"""
            url = f'{github}/user?' + urlencode({
                'access_token': access_token
            })
            return self.get_json(url)
    # fmt: on
    return GitHubOAuth2


def page_example_async(github: str) -> type[BaseOAuth2]:
    """The same class with ``async def user_data`` awaiting ``self.aget_json``."""

    class GitHubOAuth2(page_example(github)):  # type: ignore[misc]
        async def user_data(self, access_token, *args, **kwargs):
            """Loads user data from service"""
            url = f"{github}/user?" + urlencode({"access_token": access_token})
            return await self.aget_json(url)

    return GitHubOAuth2


@pytest.fixture(scope="module")
def served() -> Iterator[Callable[[], FakeGitHub]]:
    with serve_fake(lambda url: FakeGitHub(url=url, callback_url=CALLBACK)) as fresh:
        yield fresh


@pytest.fixture
def github(served: Callable[[], FakeGitHub]) -> FakeGitHub:
    github = served()
    github.person = GitHubUser(id=9919, login="monalisa", name="Mona Lisa")
    github.person.public_email = "mona@example.com"
    return github


def sign_in(backend: type[BaseOAuth2], github: FakeGitHub, transport: UpstreamTransport) -> SignIn:
    keys = {"KEY": github.client_id, "SECRET": github.client_secret}
    return SignIn(backend, keys, transport, redirect_uri=CALLBACK)


@pytest.mark.parametrize("json_when_asked", [True, False], ids=["json", "form-encoded"])
async def test_the_pages_github_example_signs_in_as_written(
    github: FakeGitHub, transport: UpstreamTransport, json_when_asked: bool
) -> None:
    github.json_when_asked = json_when_asked

    identity = await sign_in(page_example(github.url), github, transport).run()

    assert identity.provider == "github"
    assert identity.uid == "9919"
    assert identity.details == {
        "username": "monalisa",
        "email": "mona@example.com",
        "fullname": "Mona Lisa",
    }
    assert identity.extra_data == {"id": 9919, "expires": None}
    # The page's user_data sends the token as a query parameter, as GitHub once accepted.
    assert github.user_requests == [{"path": "/user", "via": "query"}]
    # This class says nothing about verification: the address is not taken as verified.
    assert identity.email_verified is False


async def test_the_pages_example_with_an_async_user_data_signs_in(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    identity = await sign_in(page_example_async(github.url), github, transport).run()

    assert identity.uid == "9919"
    assert identity.details["username"] == "monalisa"


async def test_the_blocking_get_json_runs_off_the_event_loop(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    threads: list[threading.Thread] = []

    class Watched(page_example(github.url)):  # type: ignore[misc]
        def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> Any:
            threads.append(threading.current_thread())
            return super().user_data(access_token, *args, **kwargs)

    await sign_in(Watched, github, transport).run()

    assert threads and threads[0] is not threading.main_thread()


async def test_the_page_example_sends_no_scope_and_gets_what_github_gives(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    await sign_in(page_example(github.url), github, transport).run()

    [request] = github.flow.authorize_requests
    assert "scope" not in request  # the page's class sets no DEFAULT_SCOPE
    assert request["state"]
