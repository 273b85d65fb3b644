"""The registration endpoint (RFC 7591 §3) and client configuration endpoint (RFC 7592) over an
in-memory store: what is kept, what is shown, and who may read, change or delete a client."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from stint.protocol.clients import Client
from stint.protocol.errors import (
    InvalidClientMetadataError,
    InvalidRedirectUriMetadataError,
    InvalidRequestError,
    InvalidTokenError,
)
from stint.protocol.oidc.client_registration import RegistrationPolicy
from stint.protocol.oidc.registration_endpoint import RegistrationEndpoint
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.secrets import SecretHasher

pytestmark = pytest.mark.anyio

WEB = "https://app.example/callback"
ENDPOINT = "https://stint.example/o/register"
HASHER = SecretHasher(b"k" * 32)


class MemoryClients:
    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}

    async def get(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    async def add(self, client: Client) -> Client:
        stored = replace(client, created_at=datetime(2030, 1, 2, tzinfo=UTC))
        self.clients[client.client_id] = stored
        return stored

    async def update(self, client: Client) -> None:
        self.clients[client.client_id] = client

    async def delete(self, client_id: str) -> bool:
        return self.clients.pop(client_id, None) is not None


def endpoint(
    store: MemoryClients, initial_access_token: str = "", *, open_to_anyone: bool = True
) -> RegistrationEndpoint:
    return RegistrationEndpoint(
        store,
        HASHER,
        endpoint_url=ENDPOINT + "/",
        policy=RegistrationPolicy(),
        fetcher=None,
        initial_access_token=initial_access_token,
        open_to_anyone=open_to_anyone,
    )


async def test_registering_returns_credentials_once_and_keeps_only_their_hashes() -> None:
    store = MemoryClients()
    info = await endpoint(store).register({"redirect_uris": [WEB], "client_name": "Sheets"}, None)
    client = store.clients[info["client_id"]]
    assert client.secret_hash == HASHER.hash(info["client_secret"])
    assert client.registration_token_hash == HASHER.hash(info["registration_access_token"])
    assert info["client_secret"] != info["registration_access_token"]
    assert info["registration_client_uri"] == f"{ENDPOINT}/{client.client_id}"
    assert info["client_id_issued_at"] == int(datetime(2030, 1, 2, tzinfo=UTC).timestamp())
    assert info["client_secret_expires_at"] == 0
    assert info["client_name"] == client.name == "Sheets"
    assert client.owner_id is None
    assert client.metadata["response_types"] == ["code"]
    assert "registration_access_token" not in str(client.metadata)


async def test_a_public_client_gets_no_secret() -> None:
    store = MemoryClients()
    body = {"redirect_uris": [WEB], "token_endpoint_auth_method": "none"}
    info = await endpoint(store).register(body, None)
    assert "client_secret" not in info
    assert "client_secret_expires_at" not in info
    assert store.clients[info["client_id"]].secret_hash is None
    assert store.clients[info["client_id"]].is_public


async def test_an_initial_access_token_is_required_when_configured() -> None:
    registrar = endpoint(MemoryClients(), initial_access_token="let-me-in")
    for token in (None, "", "let-me-i", "let-me-in "):
        with pytest.raises(InvalidTokenError):
            await registrar.register({"redirect_uris": [WEB]}, token)
    assert (await registrar.register({"redirect_uris": [WEB]}, "let-me-in"))["client_id"]


async def test_a_closed_endpoint_registers_nobody_but_still_manages_its_clients() -> None:
    store = MemoryClients()
    info = await endpoint(store).register({"redirect_uris": [WEB]}, None)
    closed = endpoint(store, open_to_anyone=False)
    for token in (None, "", "anything"):
        with pytest.raises(InvalidTokenError):
            await closed.register({"redirect_uris": [WEB]}, token)
    assert len(store.clients) == 1
    read = await closed.read(info["client_id"], info["registration_access_token"])
    assert read["client_id"] == info["client_id"]


async def test_the_initial_access_token_still_opens_a_closed_endpoint() -> None:
    registrar = endpoint(MemoryClients(), "let-me-in", open_to_anyone=False)
    assert (await registrar.register({"redirect_uris": [WEB]}, "let-me-in"))["client_id"]


async def test_reading_needs_the_clients_own_registration_token() -> None:
    store = MemoryClients()
    registrar = endpoint(store)
    first = await registrar.register({"redirect_uris": [WEB]}, None)
    second = await registrar.register({"redirect_uris": [WEB]}, None)
    token = first["registration_access_token"]
    read = await registrar.read(first["client_id"], token)
    # RFC 7592 §2.1: the same information, without the secret we no longer know.
    assert read == {k: v for k, v in first.items() if k != "client_secret"}
    for client_id, wrong in [
        (first["client_id"], None),
        (first["client_id"], ""),
        (first["client_id"], second["registration_access_token"]),
        (first["client_id"], first["client_secret"]),
        ("nobody", token),
        ("x" * 500, token),
    ]:
        with pytest.raises(InvalidTokenError):
            await registrar.read(client_id, wrong)


async def test_clients_made_elsewhere_cannot_be_managed_here() -> None:
    store = MemoryClients()
    registrar = endpoint(store)
    info = await registrar.register({"redirect_uris": [WEB]}, None)
    client = store.clients[info["client_id"]]
    store.clients[client.client_id] = replace(client, registration_token_hash=None)
    with pytest.raises(InvalidTokenError):
        await registrar.read(client.client_id, info["registration_access_token"])


async def _registered(
    store: MemoryClients, **body: Any
) -> tuple[RegistrationEndpoint, dict[str, Any]]:
    registrar = endpoint(store)
    return registrar, await registrar.register({"redirect_uris": [WEB], **body}, None)


async def test_an_update_replaces_the_metadata_whole() -> None:
    store = MemoryClients()
    registrar, info = await _registered(store, client_name="Sheets", logo_uri="https://a.example/l")
    token = info["registration_access_token"]
    body = {"client_id": info["client_id"], "redirect_uris": ["https://app.example/new"]}
    updated = await registrar.update(info["client_id"], token, body)
    assert updated["redirect_uris"] == ["https://app.example/new"]
    assert "logo_uri" not in updated  # omitted: deleted (RFC 7592 §2.2)
    assert "client_secret" not in updated
    client = store.clients[info["client_id"]]
    assert client.redirect_uris == ("https://app.example/new",)
    assert client.name == "Unnamed client"
    assert client.secret_hash == HASHER.hash(info["client_secret"])  # the secret stays
    assert client.registration_token_hash == HASHER.hash(token)
    assert await registrar.read(info["client_id"], token) == updated


async def test_an_update_may_repeat_the_secret_but_not_change_it() -> None:
    store = MemoryClients()
    registrar, info = await _registered(store)
    token, client_id = info["registration_access_token"], info["client_id"]
    body = {"client_id": client_id, "redirect_uris": [WEB], "client_secret": info["client_secret"]}
    assert (await registrar.update(client_id, token, body))["client_secret"] == info[
        "client_secret"
    ]
    with pytest.raises(InvalidRequestError, match="client_secret"):
        await registrar.update(client_id, token, {**body, "client_secret": "mine-now"})


@pytest.mark.parametrize(
    "field",
    [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    ],
)
async def test_an_update_must_not_send_what_the_server_issues(field: str) -> None:
    store = MemoryClients()
    registrar, info = await _registered(store)
    body = {"redirect_uris": [WEB], "client_id": info["client_id"], field: info[field]}
    with pytest.raises(InvalidRequestError, match=field):
        await registrar.update(info["client_id"], info["registration_access_token"], body)


async def test_an_update_must_name_the_client() -> None:
    store = MemoryClients()
    registrar, info = await _registered(store)
    token = info["registration_access_token"]
    for body in ({"redirect_uris": [WEB]}, {"redirect_uris": [WEB], "client_id": "other"}):
        with pytest.raises(InvalidRequestError, match="client_id"):
            await registrar.update(info["client_id"], token, body)


async def test_becoming_public_drops_the_secret_and_becoming_confidential_issues_one() -> None:
    store = MemoryClients()
    registrar, info = await _registered(store)
    token, client_id = info["registration_access_token"], info["client_id"]
    public = {"client_id": client_id, "redirect_uris": [WEB], "token_endpoint_auth_method": "none"}
    assert "client_secret" not in await registrar.update(client_id, token, public)
    assert store.clients[client_id].secret_hash is None
    assert store.clients[client_id].is_public
    confidential = {**public, "token_endpoint_auth_method": "client_secret_post"}
    answer = await registrar.update(client_id, token, confidential)
    assert store.clients[client_id].secret_hash == HASHER.hash(answer["client_secret"])
    assert answer["client_secret"] != info["client_secret"]
    assert answer["client_secret_expires_at"] == 0


async def test_deleting_needs_the_token_and_removes_the_client() -> None:
    store = MemoryClients()
    registrar, info = await _registered(store)
    with pytest.raises(InvalidTokenError):
        await registrar.delete(info["client_id"], "wrong")
    assert info["client_id"] in store.clients
    await registrar.delete(info["client_id"], info["registration_access_token"])
    assert store.clients == {}
    with pytest.raises(InvalidTokenError):
        await registrar.read(info["client_id"], info["registration_access_token"])


SUBJECTS = SubjectIdentifiers(b"s" * 32)


async def test_a_pairwise_client_has_its_sector_frozen_at_registration() -> None:
    store = MemoryClients()
    _, info = await _registered(store, subject_type="pairwise")
    assert store.clients[info["client_id"]].pairwise_sector == "app.example"
    _, public = await _registered(store)
    assert store.clients[public["client_id"]].pairwise_sector is None


async def test_an_update_keeps_the_pairwise_sub_and_may_not_move_to_another_sector() -> None:
    store = MemoryClients()
    registrar, info = await _registered(store, subject_type="pairwise")
    token, client_id = info["registration_access_token"], info["client_id"]
    sub = SUBJECTS.for_client(7, store.clients[client_id])
    same_host = {"client_id": client_id, "redirect_uris": ["https://app.example/other"]}
    await registrar.update(client_id, token, same_host)  # subject_type omitted: kept
    assert store.clients[client_id].meta("subject_type") == "pairwise"
    assert SUBJECTS.for_client(7, store.clients[client_id]) == sub
    refusals: list[tuple[dict[str, Any], type[Exception]]] = [
        ({"redirect_uris": ["https://victim.example/cb"]}, InvalidRedirectUriMetadataError),
        ({"redirect_uris": [WEB], "subject_type": "public"}, InvalidClientMetadataError),
    ]
    for body, error in refusals:
        with pytest.raises(error):
            await registrar.update(client_id, token, {"client_id": client_id, **body})
    assert store.clients[client_id].redirect_uris == ("https://app.example/other",)
    assert SUBJECTS.for_client(7, store.clients[client_id]) == sub


async def test_a_public_client_may_not_become_pairwise_by_update() -> None:
    store = MemoryClients()
    registrar, info = await _registered(store)
    body = {"client_id": info["client_id"], "redirect_uris": [WEB], "subject_type": "pairwise"}
    with pytest.raises(InvalidClientMetadataError, match="subject_type cannot change"):
        await registrar.update(info["client_id"], info["registration_access_token"], body)


async def test_a_client_registered_before_sectors_were_stored_is_frozen_on_its_next_update() -> (
    None
):
    store = MemoryClients()
    registrar, info = await _registered(store, subject_type="pairwise")
    client_id, token = info["client_id"], info["registration_access_token"]
    store.clients[client_id] = replace(store.clients[client_id], pairwise_sector=None)
    sub = SUBJECTS.for_client(7, store.clients[client_id])
    await registrar.update(client_id, token, {"client_id": client_id, "redirect_uris": [WEB]})
    assert store.clients[client_id].pairwise_sector == "app.example"
    assert SUBJECTS.for_client(7, store.clients[client_id]) == sub


async def test_a_client_stored_without_an_issue_time_is_shown_without_one() -> None:
    """RFC 7591 §3.2.1: client_id_issued_at is OPTIONAL; never made up when unknown."""

    class Undated(MemoryClients):
        async def add(self, client: Client) -> Client:
            self.clients[client.client_id] = client
            return client

    info = await endpoint(Undated()).register({"redirect_uris": [WEB]}, None)
    assert "client_id_issued_at" not in info
    assert info["client_secret_expires_at"] == 0
