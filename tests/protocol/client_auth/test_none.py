"""Authentication method ``none`` (RFC 6749 §2.1, §3.2.1; RFC 7591 §2): a public client's id."""

from __future__ import annotations

import pytest

from stint.protocol.client_auth.none import authenticate_public
from stint.protocol.errors import InvalidClientError
from tests.support.oauth_memory import MemoryClients, web_client

pytestmark = pytest.mark.anyio

CLIENTS = MemoryClients(web_client("native", public=True), web_client("web"))


async def test_a_public_client_is_identified_by_its_id_alone() -> None:
    assert (await authenticate_public("native", CLIENTS)).client_id == "native"


async def test_a_confidential_client_cannot_skip_its_secret() -> None:
    """§3.2.1: a confidential client MUST authenticate at the token endpoint."""
    with pytest.raises(InvalidClientError, match="must authenticate with its secret"):
        await authenticate_public("web", CLIENTS)


async def test_an_unknown_client_is_refused() -> None:
    with pytest.raises(InvalidClientError, match="unknown client"):
        await authenticate_public("nobody", CLIENTS)


async def test_an_overlong_client_id_is_not_looked_up() -> None:
    clients = MemoryClients(web_client("native", public=True))
    with pytest.raises(InvalidClientError, match="unknown client"):
        await authenticate_public("n" * 201, clients)
    assert clients.looked_up == []
