"""Stint's ``oidc`` backend against node-oidc-provider, panva's OpenID Certified provider.

The provider (tests/support/node_provider.py) runs from npm on loopback, with its own sign-in
and consent pages; a test plays the person with an HTTP client that follows the redirects and
submits those pages' forms, as a browser would. The backend is made as Stint's social feature
makes it (registry, strategy, the outbound upstream transport), and its ID token validation runs
on the tokens the provider really issued: signature by the provider's JWKS, iss, aud, exp, iat,
nonce.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

import anyio.to_thread
import httpx
import pytest

from stint.connectors.config import ProviderConfig
from stint.connectors.exceptions import AuthFailed, AuthTokenError
from stint.outbound.transport import UpstreamPolicy, UpstreamTransport
from tests.support.node_provider import NodeProvider, query_of, sign_in_and_consent
from tests.support.upstreams.sign_in import SignIn, upstream_transport

pytestmark = pytest.mark.anyio


@pytest.fixture
async def transport() -> AsyncIterator[UpstreamTransport]:
    """The outbound transport for upstreams, one per test (its connections belong to the test's
    event loop), with production's timeout. Loopback http: the https rule is off."""
    async with upstream_transport(UpstreamPolicy().timeout_seconds) as upstream:
        yield upstream


@dataclass(frozen=True)
class Node:
    """node-oidc-provider and the transport Stint reaches it through."""

    provider: NodeProvider
    transport: UpstreamTransport


@pytest.fixture
def node(node_provider: NodeProvider, transport: UpstreamTransport) -> Node:
    return Node(node_provider, transport)


def sign_in(node: Node) -> SignIn:
    """A sign-in as the social feature runs it for ``[social.node]`` (backend = "oidc")."""
    config = ProviderConfig(
        name="node",
        backend="oidc",
        client_id=node.provider.client_id,
        client_secret=node.provider.client_secret,
        issuer=node.provider.issuer,
    )
    return SignIn.configured(
        config,
        node.transport,
        timeout_seconds=UpstreamPolicy().timeout_seconds,
        redirect_uri=node.provider.redirect_uris[0],
        state=secrets.token_urlsafe(32),
    )


async def start(node: Node) -> SignIn:
    started = sign_in(node)
    await started.start()
    return started


def query(started: SignIn) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(started.authorize_url).query))


async def person_answers(started: SignIn, login: str) -> dict[str, str]:
    """The person signs in at the provider and consents; the redirect's query."""

    def play() -> str:
        with httpx.Client() as http:
            return sign_in_and_consent(http, started.authorize_url, login)

    started.callback = query_of(await anyio.to_thread.run_sync(play))
    return started.callback


def test_node_provider_publishes_its_discovery_document_and_keys(
    node_provider: NodeProvider,
) -> None:
    discovery = httpx.get(f"{node_provider.issuer}/.well-known/openid-configuration")
    assert discovery.status_code == 200, discovery.text
    document = discovery.json()
    assert document["issuer"] == node_provider.issuer  # OpenID Connect Discovery §4.3
    assert "S256" in document["code_challenge_methods_supported"]
    assert {"email", "email_verified"} <= set(document["claims_supported"])
    keys = httpx.get(document["jwks_uri"]).json()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [("RSA", "RS256", "sig")]


async def test_the_oidc_backend_signs_a_person_in_at_node_oidc_provider(node: Node) -> None:
    node_provider = node.provider
    started = await start(node)
    request = query(started)
    assert request["response_type"] == "code"
    assert request["client_id"] == node_provider.client_id
    assert request["state"] == started.state
    assert "openid" in request["scope"].split()
    assert request["code_challenge_method"] == "S256"  # RFC 7636 §4.3
    assert request["nonce"]  # OpenID Connect Core §3.1.2.1

    answer = await person_answers(started, "ada")
    assert answer["state"] == started.state
    assert answer["iss"] == node_provider.issuer  # RFC 9207, which node-oidc-provider sends

    identity = await started.complete(answer)
    assert identity.provider == "node"
    assert identity.uid == "ada"  # the ID token's sub
    assert identity.details["email"] == node_provider.email_of("ada")
    assert identity.email_verified is True


async def test_an_email_the_provider_does_not_assert_verified_stays_unverified(
    node: Node,
) -> None:
    started = await start(node)
    identity = await started.complete(await person_answers(started, "unverified"))
    assert identity.uid == "unverified"
    assert identity.details["email"] == node.provider.email_of("unverified")
    assert identity.email_verified is False


async def test_an_id_token_for_another_sign_in_is_refused_for_its_nonce(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    """The provider's real, correctly signed ID token carries the nonce of the sign-in it was
    issued for; completed under another nonce it is refused (OpenID Connect Core §3.1.3.7)."""
    started = await start(node)
    answer = await person_answers(started, "ada")
    # The session entry that holds the nonce sent, whatever the backend calls it.
    nonce_key = next(k for k, v in started.session.items() if v == query(started)["nonce"])
    started.session[nonce_key] = secrets.token_urlsafe(16)
    with caplog.at_level(logging.INFO, "stint"), pytest.raises(AuthFailed, match="ID token"):
        await started.complete(answer)
    assert "nonce" in caplog.text  # refused for its nonce, not for anything else


async def test_a_replayed_code_is_refused_by_the_provider_and_fails_cleanly(node: Node) -> None:
    started = await start(node)
    answer = await person_answers(started, "ada")
    pending = replace(started)  # the session as auth_url left it, before it is used
    await started.complete(answer)
    with pytest.raises(AuthTokenError):  # invalid_grant (RFC 6749 §4.1.2: single use)
        await pending.complete(answer)
