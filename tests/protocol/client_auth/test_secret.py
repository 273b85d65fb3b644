"""client_secret_basic and client_secret_post (RFC 6749 §2.3.1): the secret against its hash."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stint.protocol.client_auth.secret import authenticate_with_secret
from stint.protocol.errors import InvalidClientError
from stint.protocol.secrets import SecretHasher
from tests.support.oauth_memory import MemoryClients, web_client

pytestmark = pytest.mark.anyio

HASHER = SecretHasher(b"client-auth-" + b"k" * 32)
SECRET = "s3cret-of-the-web-client"
WEB = replace(web_client(), secret_hash=HASHER.hash(SECRET))
POSTING = replace(
    web_client("poster"),
    secret_hash=HASHER.hash(SECRET),
    token_endpoint_auth_method="client_secret_post",
)
PUBLIC = web_client("native", public=True)


async def _authenticate(client_id: str, secret: str, method: str = "client_secret_basic") -> str:
    clients = MemoryClients(WEB, POSTING, PUBLIC)
    return (await authenticate_with_secret(client_id, secret, method, clients, HASHER)).client_id


async def test_the_right_secret_with_the_registered_method_authenticates() -> None:
    assert await _authenticate("web", SECRET) == "web"
    assert await _authenticate("poster", SECRET, "client_secret_post") == "poster"


@pytest.mark.parametrize(
    ("client_id", "secret"), [("web", SECRET + "x"), ("web", ""), ("nobody", SECRET)]
)
async def test_a_wrong_secret_and_an_unknown_client_get_the_same_answer(
    client_id: str, secret: str
) -> None:
    """Which of the two was wrong is not said, so client ids cannot be probed."""
    with pytest.raises(InvalidClientError, match=r"^unknown client or wrong secret$"):
        await _authenticate(client_id, secret)


async def test_a_public_client_has_no_secret_to_present() -> None:
    """RFC 6749 §2.1: a public client cannot keep a secret, so none is accepted for it."""
    with pytest.raises(InvalidClientError, match="unknown client or wrong secret"):
        await _authenticate("native", SECRET)


async def test_a_stored_hash_is_never_accepted_as_the_secret() -> None:
    with pytest.raises(InvalidClientError):
        await _authenticate("web", HASHER.hash(SECRET))


@pytest.mark.parametrize(
    ("client_id", "method"), [("web", "client_secret_post"), ("poster", "client_secret_basic")]
)
async def test_a_client_must_use_the_method_it_registered(client_id: str, method: str) -> None:
    """RFC 7591 §2: token_endpoint_auth_method is the method the client will use."""
    with pytest.raises(InvalidClientError, match="this client authenticates with client_secret_"):
        await _authenticate(client_id, SECRET, method)


async def test_an_overlong_client_id_is_not_looked_up() -> None:
    clients = MemoryClients(WEB)
    with pytest.raises(InvalidClientError):
        await authenticate_with_secret("w" * 201, SECRET, "client_secret_basic", clients, HASHER)
    assert clients.looked_up == []


async def test_a_client_without_a_stored_secret_never_authenticates_with_one() -> None:
    """Not even where the comparison would pass: no hash stored means no secret to match."""

    class MatchesAnything(SecretHasher):
        def matches(self, value: str, expected_hash: str) -> bool:
            return True

    hasher = MatchesAnything(b"k" * 32)
    with pytest.raises(InvalidClientError, match="unknown client or wrong secret"):
        await authenticate_with_secret("native", "anything", "none", MemoryClients(PUBLIC), hasher)
