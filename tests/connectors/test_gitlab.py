"""The built-in ``gitlab`` backend against a local GitLab that answers as GitLab documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from stint.connectors.exceptions import AuthStateMissing, AuthTokenError, AuthUnreachable
from stint.connectors.providers.gitlab import GitLabOAuth2
from stint.connectors.registry import backend_class
from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.code_flow import s256
from tests.support.upstreams.gitlab import FakeGitLab, GitLabUser
from tests.support.upstreams.server import serve_fake
from tests.support.upstreams.sign_in import SignIn

pytestmark = pytest.mark.anyio

CALLBACK = "http://127.0.0.1:9/complete/gitlab/"


@pytest.fixture(scope="module")
def served() -> Iterator[Callable[[], FakeGitLab]]:
    with serve_fake(lambda url: FakeGitLab(url=url, redirect_uris=[CALLBACK])) as fresh:
        yield fresh


@pytest.fixture
def gitlab(served: Callable[[], FakeGitLab]) -> FakeGitLab:
    """The served fake, as a new GitLab for each test: one person, nothing issued yet."""
    return served()


def sign_in(gitlab: FakeGitLab, transport: UpstreamTransport, **settings: Any) -> SignIn:
    keys = {"KEY": gitlab.client_id, "SECRET": gitlab.client_secret, "API_URL": gitlab.url}
    return SignIn(GitLabOAuth2, {**keys, **settings}, transport, redirect_uri=CALLBACK)


async def test_a_sign_in_keys_the_person_on_gitlabs_id(
    gitlab: FakeGitLab, transport: UpstreamTransport
) -> None:
    identity = await sign_in(gitlab, transport).run()

    assert identity.uid == "4242"
    assert identity.details["username"] == "jsmith"
    assert identity.details["fullname"] == "Jane Smith"
    assert identity.details["email"] == "jane@example.com"
    assert identity.extra_data == {"id": 4242, "username": "jsmith"}
    assert identity.tokens["refresh_token"]


async def test_one_setting_points_every_url_at_a_self_managed_instance(
    gitlab: FakeGitLab, transport: UpstreamTransport
) -> None:
    attempt = sign_in(gitlab, transport)

    url = urlsplit(await attempt.start())

    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{gitlab.url}/oauth/authorize"
    await attempt.complete(await attempt.visit(url.geturl()))
    assert gitlab.flow.token_requests, "the token request went to the same instance"


async def test_it_asks_for_read_user_with_pkce_s256(
    gitlab: FakeGitLab, transport: UpstreamTransport
) -> None:
    await sign_in(gitlab, transport).run()

    [request] = gitlab.flow.authorize_requests
    assert request["scope"] == "read_user"
    assert request["code_challenge_method"] == "S256"
    [token_request] = gitlab.flow.token_requests
    assert s256(token_request["form"]["code_verifier"]) == request["code_challenge"]


async def test_a_confirmed_email_is_verified(
    gitlab: FakeGitLab, transport: UpstreamTransport
) -> None:
    identity = await sign_in(gitlab, transport).run()

    assert identity.email_verified is True


async def test_an_unconfirmed_email_is_not_verified(
    gitlab: FakeGitLab, transport: UpstreamTransport
) -> None:
    gitlab.person = GitLabUser(email="new@example.com", confirmed_at=None)

    identity = await sign_in(gitlab, transport).run()

    assert identity.details["email"] == "new@example.com"
    assert identity.email_verified is False


async def test_a_code_without_this_sign_ins_verifier_is_refused(
    gitlab: FakeGitLab, transport: UpstreamTransport
) -> None:
    attempt = sign_in(gitlab, transport)
    callback = await attempt.visit(await attempt.start())
    attempt.session["code_verifier"] = "another-sign-ins-verifier-" + "x" * 30

    with pytest.raises(AuthTokenError, match="invalid_grant"):
        await attempt.complete(callback)


async def test_a_session_without_a_verifier_is_refused_before_the_token_request(
    gitlab: FakeGitLab, transport: UpstreamTransport
) -> None:
    attempt = sign_in(gitlab, transport)
    callback = await attempt.visit(await attempt.start())
    attempt.session.clear()

    with pytest.raises(AuthStateMissing):
        await attempt.complete(callback)
    assert gitlab.flow.token_requests == []


async def test_gitlab_down_is_unreachable(gitlab: FakeGitLab, transport: UpstreamTransport) -> None:
    gitlab.failing = {"/api/v4/user"}

    with pytest.raises(AuthUnreachable):
        await sign_in(gitlab, transport).run()


async def test_without_settings_it_signs_in_at_gitlab_com() -> None:
    attempt = SignIn(GitLabOAuth2, {"KEY": "id", "SECRET": "s"}, redirect_uri=CALLBACK)

    url = urlsplit(await attempt.start())

    assert (url.scheme, url.netloc, url.path) == ("https", "gitlab.com", "/oauth/authorize")


def test_the_registry_names_it_gitlab() -> None:
    assert backend_class("gitlab") is GitLabOAuth2
