"""The built-in ``github`` backend against a local GitHub that answers as GitHub documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.connectors.exceptions import (
    AuthCanceled,
    AuthStateForbidden,
    AuthTokenError,
    AuthUnreachable,
)
from stint.connectors.providers.github import GitHubOAuth2
from stint.connectors.registry import backend_class
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.github import FakeGitHub, GitHubEmail, GitHubUser
from tests.support.upstreams.server import serve_fake
from tests.support.upstreams.sign_in import SignIn

pytestmark = pytest.mark.anyio

CALLBACK = "http://127.0.0.1:9/complete/github/"  # Stint's; the browser never follows it here


@pytest.fixture(scope="module")
def served() -> Iterator[Callable[[], FakeGitHub]]:
    with serve_fake(lambda url: FakeGitHub(url=url, callback_url=CALLBACK)) as fresh:
        yield fresh


@pytest.fixture
def github(served: Callable[[], FakeGitHub]) -> FakeGitHub:
    """The served fake, as a new GitHub for each test: one person, nothing issued yet."""
    return served()


def sign_in(github: FakeGitHub, transport: UpstreamTransport, **settings: Any) -> SignIn:
    return SignIn(
        GitHubOAuth2,
        {
            "KEY": github.client_id,
            "SECRET": github.client_secret,
            "URL": github.url,  # as for a GitHub Enterprise host
            "API_URL": github.url,
            **settings,
        },
        transport,
        redirect_uri=CALLBACK,
    )


async def test_the_uid_is_githubs_numeric_id_and_the_email_its_verified_primary(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    identity = await sign_in(github, transport).run()

    assert identity.uid == "583231"
    assert identity.details["username"] == "octocat"
    assert identity.details["fullname"] == "The Octocat"
    assert identity.details["email"] == "octocat@example.com"
    assert identity.email_verified is True
    assert identity.extra_data == {"id": 583231, "login": "octocat"}
    assert identity.tokens["access_token"].startswith("gho_")


async def test_the_authorization_request_asks_as_github_expects(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    await sign_in(github, transport).run()

    [request] = github.flow.authorize_requests
    assert request["scope"] == "read:user,user:email"
    assert request["redirect_uri"] == CALLBACK
    assert request["code_challenge_method"] == "S256"
    assert request["state"]
    [token_request] = github.flow.token_requests
    assert token_request["form"]["code_verifier"]
    assert {r["via"] for r in github.user_requests} == {"bearer"}


async def test_a_form_encoded_token_answer_is_understood(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.json_when_asked = False  # access_token=gho_...&scope=...&token_type=bearer

    identity = await sign_in(github, transport).run()

    assert identity.uid == "583231"
    assert identity.tokens["token_type"] == "bearer"


async def test_a_verified_public_email_is_kept_over_the_primary(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.person.public_email = "work@example.com"
    github.person.emails = [
        GitHubEmail("home@example.com", verified=True, primary=True),
        GitHubEmail("work@example.com", verified=True),
    ]

    identity = await sign_in(github, transport).run()

    assert identity.details["email"] == "work@example.com"
    assert identity.email_verified is True


async def test_an_unverified_public_email_gives_way_to_the_verified_primary(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.person.public_email = "claimed@example.com"
    github.person.emails = [
        GitHubEmail("mine@example.com", verified=True, primary=True),
        GitHubEmail("claimed@example.com", verified=False),
    ]

    identity = await sign_in(github, transport).run()

    assert identity.details["email"] == "mine@example.com"
    assert identity.email_verified is True


async def test_an_unverified_email_is_never_said_to_be_verified(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.person.public_email = "claimed@example.com"
    github.person.emails = [GitHubEmail("claimed@example.com", verified=False, primary=True)]

    identity = await sign_in(github, transport).run()

    assert identity.details["email"] == "claimed@example.com"
    assert identity.email_verified is False


async def test_without_the_user_email_scope_no_address_counts_as_verified(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.person.public_email = "octocat@example.com"

    identity = await sign_in(
        github, transport, IGNORE_DEFAULT_SCOPE=True, SCOPE=["read:user"]
    ).run()

    assert github.flow.authorize_requests[0]["scope"] == "read:user"
    assert identity.details["email"] == "octocat@example.com"
    assert identity.email_verified is False


async def test_a_renamed_login_is_the_same_person(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    before = await sign_in(github, transport).run()
    github.person = GitHubUser(id=github.person.id, login="octocat-renamed")

    after = await sign_in(github, transport).run()

    assert after.uid == before.uid
    assert after.details["username"] == "octocat-renamed"


async def test_a_replayed_code_is_refused(github: FakeGitHub, transport: UpstreamTransport) -> None:
    attempt = sign_in(github, transport)
    callback = await attempt.visit(await attempt.start())
    await attempt.complete(callback)

    # GitHub answers a used code with 200 and error=bad_verification_code.
    with pytest.raises(AuthTokenError, match="bad_verification_code"):
        await attempt.complete(callback)


async def test_a_callback_with_another_sign_ins_state_is_refused(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    attempt = sign_in(github, transport)
    callback = await attempt.visit(await attempt.start())

    with pytest.raises(AuthStateForbidden):
        await attempt.complete({**callback, "state": "someone-elses-state"})
    assert github.flow.token_requests == []


async def test_a_person_who_denies_access_cancels_the_sign_in(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.deny = True
    attempt = sign_in(github, transport)

    with pytest.raises(AuthCanceled):
        await attempt.complete(await attempt.visit(await attempt.start()))


async def test_github_answering_500_is_unreachable(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.failing = {"/user"}

    with pytest.raises(AuthUnreachable):
        await sign_in(github, transport).run()


async def test_an_outage_at_user_emails_is_not_taken_for_no_verified_address(
    github: FakeGitHub, transport: UpstreamTransport
) -> None:
    github.failing = {"/user/emails"}

    with pytest.raises(AuthUnreachable):
        await sign_in(github, transport).run()


async def test_without_settings_it_signs_in_at_github_com() -> None:
    attempt = SignIn(GitHubOAuth2, {"KEY": "id", "SECRET": "s"}, redirect_uri=CALLBACK)

    url = urlsplit(await attempt.start())

    assert (url.scheme, url.netloc, url.path) == ("https", "github.com", "/login/oauth/authorize")
    assert parse_qs(url.query)["client_id"] == ["id"]
    assert GitHubOAuth2(attempt.backend().strategy).api_url("/user") == (
        "https://api.github.com/user"
    )


def test_the_registry_names_it_github() -> None:
    assert backend_class("github") is GitHubOAuth2
