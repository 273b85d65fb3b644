"""python-social-auth's own backends, unchanged, through Stint's adapter, against real servers:
social-core's GitLabOAuth2 against a GitLab on loopback, and its OpenIdConnectAuth against a real
`stint serve` as the upstream OpenID provider, a person signing in there on its pages."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import social_core
from social_core.backends.gitlab import GitLabOAuth2

from stint.connectors.base import BaseAuth
from stint.connectors.config import ProviderConfig
from stint.connectors.exceptions import (
    AuthCanceled,
    AuthFailed,
    AuthStateForbidden,
    AuthStateMissing,
    AuthTokenError,
    AuthUnreachable,
)
from stint.connectors.registry import UnknownBackendError, backend_class, make_backend
from stint.connectors.social_core import adapt
from tests.conftest import LiveServer
from tests.support.flows import decide, open_authorize, redirected_to
from tests.support.upstreams.gitlab import FakeGitLab, GitLabUser
from tests.support.upstreams.server import serve_fake
from tests.support.upstreams.sign_in import SignIn

pytestmark = pytest.mark.anyio

GITLAB = "social_core.backends.gitlab.GitLabOAuth2"
OIDC = "social_core.backends.open_id_connect.OpenIdConnectAuth"


def redirect_uri(name: str) -> str:
    """Stint's /complete/<name>/, the redirect URI registered at the provider."""
    return f"http://testserver/complete/{name}/"


def sign_in_at(config: ProviderConfig, transport: httpx.AsyncBaseTransport | None) -> SignIn:
    """A sign-in as Stint's social feature runs it for ``config``."""
    return SignIn.configured(config, transport, redirect_uri=redirect_uri(config.name))


class RecordingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, remembering what was sent: proof that the backend's requests went through
    the strategy's outbound transport, not through requests of its own."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[httpx.Request] = []
        self.threads: set[int] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        self.threads.add(threading.get_ident())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Kept open across the clients of one test; the fixture closes it."""

    @property
    def paths(self) -> list[str]:
        return [request.url.path for request in self.sent]


@pytest.fixture
async def transport() -> AsyncIterator[RecordingTransport]:
    recording = RecordingTransport()
    yield recording
    await recording.inner.aclose()


# -- social-core's GitLabOAuth2 against a GitLab on loopback ----------------------------------


@pytest.fixture(scope="module")
def gitlab_served() -> Iterator[Callable[[], FakeGitLab]]:
    def make(url: str) -> FakeGitLab:
        return FakeGitLab(url=url, redirect_uris=[redirect_uri("gitlab-sc")])

    with serve_fake(make) as fresh:
        yield fresh


@pytest.fixture
def gitlab(gitlab_served: Callable[[], FakeGitLab]) -> FakeGitLab:
    """The module's GitLab, as it was before any test changed it."""
    return gitlab_served()


@pytest.fixture
def gitlab_sign_in(gitlab: FakeGitLab, transport: RecordingTransport) -> SignIn:
    config = ProviderConfig(
        name="gitlab-sc",
        backend=GITLAB,
        client_id=gitlab.client_id,
        client_secret=gitlab.client_secret,
        options={"API_URL": gitlab.url},
    )
    return sign_in_at(config, transport)


async def test_gitlab_sign_in_through_social_core_gives_the_gitlab_person(
    gitlab: FakeGitLab, gitlab_sign_in: SignIn, transport: RecordingTransport
) -> None:
    url = await gitlab_sign_in.start()
    sent = gitlab.flow.authorize_requests
    callback = await gitlab_sign_in.visit(url)
    identity = await gitlab_sign_in.complete(callback)

    # The authorization request carried Stint's state (the pending sign-in's key).
    assert sent[0]["state"] == gitlab_sign_in.state == callback["state"]
    assert sent[0]["redirect_uri"] == redirect_uri("gitlab-sc")
    assert sent[0]["scope"] == "read_user"
    assert identity.provider == "gitlab-sc"
    assert identity.uid == "4242"  # GitLab's numeric id, never the email
    assert identity.details["username"] == "jsmith"
    assert identity.details["email"] == "jane@example.com"
    assert identity.details["fullname"] == "Jane Smith"
    assert identity.email_verified is True  # GitLab: confirmed_at is set
    assert identity.extra_data["id"] == 4242
    assert identity.extra_data["expires_in"] == 7200
    assert identity.tokens["access_token"] in gitlab.flow.tokens
    assert identity.tokens["refresh_token"].startswith("r-")
    # Credentials only in the (sealed) tokens, never in extra_data.
    assert not {"access_token", "refresh_token"} & set(identity.extra_data)
    # social-core's token and user requests went through Stint's outbound transport.
    assert transport.paths == ["/oauth/token", "/api/v4/user"]
    # ... sent on the event loop's thread, while social-core's synchronous code ran in a
    # worker thread (anyio.from_thread works only from one).
    assert transport.threads == {threading.get_ident()}
    assert transport.sent[0].headers["user-agent"] == f"social-auth-{social_core.__version__}"


async def test_an_unconfirmed_gitlab_email_is_not_verified(
    gitlab: FakeGitLab, gitlab_sign_in: SignIn
) -> None:
    gitlab.person = GitLabUser(confirmed_at=None)
    identity = await gitlab_sign_in.complete(
        await gitlab_sign_in.visit(await gitlab_sign_in.start())
    )
    assert identity.details["email"] == "jane@example.com"
    assert identity.email_verified is False


async def test_a_tampered_state_is_refused_before_any_token_request(
    gitlab_sign_in: SignIn, transport: RecordingTransport
) -> None:
    callback = await gitlab_sign_in.visit(await gitlab_sign_in.start())
    with pytest.raises(AuthStateForbidden):
        await gitlab_sign_in.complete({**callback, "state": secrets.token_urlsafe(32)})
    with pytest.raises(AuthStateMissing):
        await gitlab_sign_in.complete({"code": callback["code"]})
    assert transport.sent == []


async def test_a_callback_without_the_session_of_its_sign_in_is_refused(
    gitlab_sign_in: SignIn,
) -> None:
    callback = await gitlab_sign_in.visit(await gitlab_sign_in.start())
    with pytest.raises(AuthStateForbidden):
        await replace(gitlab_sign_in, session={}).complete(callback)


async def test_a_person_who_denies_at_gitlab_is_a_cancelled_sign_in(
    gitlab: FakeGitLab, gitlab_sign_in: SignIn
) -> None:
    gitlab.deny = True
    callback = await gitlab_sign_in.visit(await gitlab_sign_in.start())
    assert callback["error"] == "access_denied"
    with pytest.raises(AuthCanceled):
        await gitlab_sign_in.complete(callback)


async def test_a_code_redeemed_twice_is_a_token_error(gitlab_sign_in: SignIn) -> None:
    callback = await gitlab_sign_in.visit(await gitlab_sign_in.start())
    pending = replace(gitlab_sign_in)  # the session as auth_url left it, before it is used
    await gitlab_sign_in.complete(callback)
    with pytest.raises(AuthTokenError):  # GitLab answers invalid_grant
        await pending.complete(callback)


async def test_gitlab_answering_500_is_unreachable(
    gitlab: FakeGitLab, gitlab_sign_in: SignIn
) -> None:
    callback = await gitlab_sign_in.visit(await gitlab_sign_in.start())
    gitlab.failing = {"/api/v4/user"}
    with pytest.raises(AuthUnreachable):
        await gitlab_sign_in.complete(callback)


# -- social-core's OpenIdConnectAuth against a real Stint as the OpenID provider -------------

UPSTREAM_PROFILE = {"name": "Ann Lee", "email": "ann.sc@example.com"}


@dataclass(frozen=True)
class Upstream:
    server: LiveServer
    client_id: str
    client_secret: str
    username: str


@pytest.fixture(scope="module")
def upstream(live_server: LiveServer) -> Upstream:
    """A person and a confidential client at the upstream Stint; the client's redirect URI is
    the downstream Stint's /complete/<name>/."""
    username = f"ann-sc-{secrets.token_hex(4)}"
    live_server.create_user(username)
    live_server.stint(
        "users",
        "profile",
        username,
        *(f"--set={name}={value}" for name, value in UPSTREAM_PROFILE.items()),
        "--verify-email",
    )
    client_id, secret = live_server.create_client(
        "Downstream Stint", "--redirect-uri", redirect_uri("stint-up")
    )
    assert secret is not None
    return Upstream(live_server, client_id, secret, username)


def oidc_config(upstream: Upstream, **options: Any) -> ProviderConfig:
    return ProviderConfig(
        name="stint-up",
        backend=OIDC,
        client_id=upstream.client_id,
        client_secret=upstream.client_secret,
        issuer=upstream.server.base_url,
        # Stint signs ID tokens with ES256 unless a client asks otherwise; social-core's
        # default is RS256 alone.
        options={"JWT_ALGORITHMS": ["ES256"], **options},
    )


async def sign_in_upstream(upstream: Upstream, url: str) -> dict[str, str]:
    """The person's browser at the upstream Stint: sign in on /login, Allow on the consent
    page if it asks (once per client); returns the redirect back to the downstream's
    /complete/stint-up/."""
    async with httpx.AsyncClient(base_url=upstream.server.base_url) as browser:
        answer = await open_authorize(browser, url, upstream.username)
        if answer.status_code == 200:
            answer = await decide(browser, answer)
        return redirected_to(answer, redirect_uri("stint-up"))


async def test_openid_sign_in_through_social_core_at_a_real_stint(
    upstream: Upstream, transport: RecordingTransport
) -> None:
    sign_in = sign_in_at(oidc_config(upstream), transport)
    url = await sign_in.start()
    sent = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{upstream.server.base_url}/o/authorize/?")
    assert sent["state"] == [sign_in.state]
    assert sent["code_challenge_method"] == ["S256"]  # PKCE, on by default in the adapter
    assert len(sent["nonce"][0]) == 64
    assert set(sent["scope"][0].split()) == {"openid", "profile", "email"}

    callback = await sign_in_upstream(upstream, url)
    identity = await sign_in.complete(callback)

    async with httpx.AsyncClient() as http:
        userinfo = (
            await http.get(
                f"{upstream.server.base_url}/o/userinfo/",
                headers={"Authorization": f"Bearer {identity.tokens['access_token']}"},
            )
        ).json()
    assert identity.uid == userinfo["sub"]  # the upstream's subject
    assert identity.provider == "stint-up"
    assert identity.details["username"] == upstream.username
    assert identity.details["email"] == UPSTREAM_PROFILE["email"]
    assert identity.details["fullname"] == UPSTREAM_PROFILE["name"]
    assert identity.email_verified is True  # UserInfo's email_verified: true
    assert identity.tokens["id_token"].count(".") == 2
    assert "id_token" not in identity.extra_data
    assert identity.extra_data["id"] == identity.uid
    # Discovery, token, JWKS and UserInfo all through Stint's outbound transport.
    assert "/o/token/" in transport.paths
    assert "/o/userinfo/" in transport.paths
    token_request = transport.sent[transport.paths.index("/o/token/")]
    form = parse_qs(token_request.content.decode())
    assert form["code"] == [callback["code"]]
    assert len(form["code_verifier"][0]) >= 43  # RFC 7636 §4.1
    assert token_request.headers["authorization"].startswith("Basic ")  # from discovery


async def test_an_unverified_upstream_email_is_not_verified(upstream: Upstream) -> None:
    username = f"bo-sc-{secrets.token_hex(4)}"
    upstream.server.create_user(username)
    upstream.server.stint("users", "profile", username, "--set=email=bo.sc@example.com")
    sign_in = sign_in_at(oidc_config(upstream), None)
    callback = await sign_in_upstream(replace(upstream, username=username), await sign_in.start())
    identity = await sign_in.complete(callback)
    assert identity.details["email"] == "bo.sc@example.com"
    assert identity.email_verified is False


async def test_a_tampered_openid_state_is_refused(upstream: Upstream) -> None:
    sign_in = sign_in_at(oidc_config(upstream), None)
    callback = await sign_in_upstream(upstream, await sign_in.start())
    with pytest.raises(AuthStateForbidden):
        await sign_in.complete({**callback, "state": secrets.token_urlsafe(32)})


async def test_an_id_token_for_another_nonce_is_refused(upstream: Upstream) -> None:
    """The ID token must carry the nonce this sign-in sent (OIDC Core §3.1.3.7 step 11)."""
    sign_in = sign_in_at(oidc_config(upstream), None)
    callback = await sign_in_upstream(upstream, await sign_in.start())
    # The pending sign-in remembers another nonce than the one the ID token carries.
    transaction = sign_in.session[f"stint-up_oauth2_state_{sign_in.state}"]
    transaction["oidc_nonce"] = secrets.token_urlsafe(48)
    with pytest.raises(AuthFailed):
        await sign_in.complete(callback)


async def test_an_openid_answer_naming_another_issuer_is_refused(upstream: Upstream) -> None:
    """RFC 9207 §2.4, which social-core does not check: the adapter does, before the code is
    redeemed (mix-up, RFC 9700 §4.4)."""
    sign_in = sign_in_at(oidc_config(upstream), None)
    callback = await sign_in_upstream(upstream, await sign_in.start())
    assert callback["iss"] == upstream.server.base_url  # Stint names itself
    with pytest.raises(AuthFailed, match="another provider"):
        await sign_in.complete({**callback, "iss": "https://evil.example"})


async def test_an_openid_answer_without_iss_from_a_provider_advertising_it_is_refused(
    upstream: Upstream,
) -> None:
    sign_in = sign_in_at(oidc_config(upstream), None)
    callback = await sign_in_upstream(upstream, await sign_in.start())
    without = {k: v for k, v in callback.items() if k != "iss"}
    with pytest.raises(AuthFailed, match="another provider"):
        await sign_in.complete(without)


async def test_an_unreachable_openid_provider_is_unreachable() -> None:
    with socket.socket() as listener:  # a loopback port nobody listens on any more
        listener.bind(("127.0.0.1", 0))
        issuer = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = ProviderConfig(name="gone", backend=OIDC, client_id="c", issuer=issuer)
    with pytest.raises(AuthUnreachable):
        await sign_in_at(config, None).start()


async def test_an_openid_provider_that_never_answers_is_unreachable_after_the_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        issuer = f"http://127.0.0.1:{silent.getsockname()[1]}"
        config = ProviderConfig(name="silent", backend=OIDC, client_id="c", issuer=issuer)
        sign_in = sign_in_at(config, None)
        strategy = replace(sign_in.strategy(), timeout_seconds=0.2)
        with pytest.raises(AuthUnreachable):
            await make_backend(config, strategy).auth_url()


# -- the registry ---------------------------------------------------------------------------


def test_a_social_core_dotted_path_is_a_stint_backend() -> None:
    adapted = backend_class(GITLAB)
    assert issubclass(adapted, BaseAuth)
    assert adapted is adapt(GitLabOAuth2)  # one adapted class per backend class
    assert adapted.name == "gitlab"
    assert adapted.ID_KEY == "id"


@pytest.mark.parametrize(
    "path", ["social_core.strategy.BaseStrategy", "social_core.utils.setting_name"]
)
def test_a_social_core_path_that_names_no_backend_is_refused(path: str) -> None:
    with pytest.raises(UnknownBackendError, match="not a backend"):
        backend_class(path)
