"""Choosing the client authentication method a request used (RFC 6749 §2.3): one per request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stint.protocol.client_auth import ClientCredentials, authenticate_client
from stint.protocol.errors import InvalidClientError, InvalidRequestError
from stint.protocol.secrets import SecretHasher
from tests.support.oauth_memory import MemoryClients, web_client

pytestmark = pytest.mark.anyio

HASHER = SecretHasher(b"client-auth-" + b"k" * 32)
SECRET = "s3cret-of-the-web-client"
CLIENTS = MemoryClients(
    replace(web_client("basic"), secret_hash=HASHER.hash(SECRET)),
    replace(
        web_client("post"),
        secret_hash=HASHER.hash(SECRET),
        token_endpoint_auth_method="client_secret_post",
    ),
    web_client("native", public=True),
)


async def _client_id(credentials: ClientCredentials) -> str:
    return (await authenticate_client(credentials, CLIENTS, HASHER)).client_id


async def test_basic_credentials_authenticate_a_client_secret_basic_client() -> None:
    assert await _client_id(ClientCredentials(basic=("basic", SECRET))) == "basic"


async def test_a_client_id_in_the_body_may_repeat_the_basic_one() -> None:
    """§2.3.1 does not forbid it, and some client libraries send both."""
    credentials = ClientCredentials(basic=("basic", SECRET), form_client_id="basic")
    assert await _client_id(credentials) == "basic"


async def test_a_client_id_in_the_body_must_match_the_basic_credentials() -> None:
    credentials = ClientCredentials(basic=("basic", SECRET), form_client_id="post")
    with pytest.raises(InvalidRequestError, match="differs from the Basic credentials"):
        await _client_id(credentials)


async def test_a_secret_in_the_body_authenticates_a_client_secret_post_client() -> None:
    credentials = ClientCredentials(form_client_id="post", form_secret=SECRET)
    assert await _client_id(credentials) == "post"


async def test_a_secret_in_the_body_is_not_accepted_for_a_basic_client() -> None:
    credentials = ClientCredentials(form_client_id="basic", form_secret=SECRET)
    with pytest.raises(InvalidClientError, match="authenticates with client_secret_basic"):
        await _client_id(credentials)


async def test_a_client_id_alone_identifies_a_public_client() -> None:
    assert await _client_id(ClientCredentials(form_client_id="native")) == "native"


async def test_a_client_id_alone_does_not_authenticate_a_confidential_client() -> None:
    with pytest.raises(InvalidClientError, match="must authenticate with its secret"):
        await _client_id(ClientCredentials(form_client_id="basic"))


async def test_two_methods_in_one_request_are_refused() -> None:
    """§2.3: the client MUST NOT use more than one authentication method in each request."""
    credentials = ClientCredentials(basic=("basic", SECRET), form_secret=SECRET)
    with pytest.raises(InvalidRequestError, match="one client authentication method"):
        await _client_id(credentials)


async def test_no_credentials_at_all_is_a_failed_client_authentication() -> None:
    """§5.2: invalid_client, answered with 401."""
    with pytest.raises(InvalidClientError, match="client authentication is required"):
        await _client_id(ClientCredentials())
