"""The end-session request (RP-Initiated Logout 1.0 §2, §3), with in-memory fakes."""

from __future__ import annotations

from typing import Any

import pytest

from stint.protocol.clients import Client, ClientType
from stint.protocol.errors import InvalidRequestError
from stint.protocol.jws import CompactSigner
from stint.protocol.keys import KeyRing, SigningKey, generate_signing_key
from stint.protocol.oidc.end_session import EndSessionRequest, EndSessionValidator

pytestmark = pytest.mark.anyio

ISSUER = "https://stint.example"
KEY = generate_signing_key()
BYE = "https://rp.example/bye"


def _client(client_id: str, **metadata: Any) -> Client:
    return Client(
        client_id=client_id,
        name=client_id.upper(),
        client_type=ClientType.CONFIDENTIAL,
        redirect_uris=(f"https://{client_id}.example/cb",),
        grant_types=frozenset({"authorization_code"}),
        scopes=frozenset(),
        token_endpoint_auth_method="client_secret_basic",
        metadata=metadata,
    )


class Clients:
    def __init__(self, *clients: Client) -> None:
        self._clients = {c.client_id: c for c in clients}

    async def get(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)


async def _validator() -> EndSessionValidator:
    async def load() -> list[SigningKey]:
        return [KEY]

    ring = KeyRing(load)
    await ring.reload()
    clients = Clients(_client("rp", post_logout_redirect_uris=[BYE]), _client("other"))
    return EndSessionValidator(clients, ring, ISSUER)


def _hint(**claims: Any) -> str:
    base = {"iss": ISSUER, "sub": "42", "aud": "rp", "sid": "s-1", "exp": 1, "iat": 0}
    return CompactSigner(KEY, None).sign({**base, **claims})


async def test_no_parameters_is_a_plain_sign_out() -> None:
    assert await (await _validator()).validate({}) == EndSessionRequest()


async def test_the_hint_names_the_client_the_user_and_the_session() -> None:
    checked = await (await _validator()).validate(
        {"id_token_hint": _hint(), "post_logout_redirect_uri": BYE, "state": "x y"}
    )
    assert checked.client is not None
    assert checked.client.client_id == "rp"
    assert (checked.subject, checked.sid) == ("42", "s-1")
    assert checked.redirect_url == f"{BYE}?state=x+y"


async def test_an_expired_hint_is_still_a_hint() -> None:
    checked = await (await _validator()).validate({"id_token_hint": _hint(exp=1)})
    assert checked.subject == "42"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"post_logout_redirect_uri": BYE}, "needs an id_token_hint or client_id"),
        ({"client_id": "rp", "post_logout_redirect_uri": BYE + "/"}, "is not registered"),
        ({"client_id": "other", "post_logout_redirect_uri": BYE}, "is not registered"),
        ({"client_id": "nobody"}, "is not registered"),
        ({"id_token_hint": _hint(), "client_id": "other"}, "does not match the id_token_hint"),
        ({"id_token_hint": _hint(iss="https://elsewhere.example")}, "issued by someone else"),
        ({"id_token_hint": _hint(aud=["rp", "other"])}, "does not name the app"),
        ({"id_token_hint": "a.b.c"}, "is not a JWT"),
        ({"state": "s" * 3000}, "state is too long"),
    ],
)
async def test_refused_requests_say_why(params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        await (await _validator()).validate(params)


async def test_several_audiences_are_settled_by_azp() -> None:
    hint = _hint(aud=["rp", "other"], azp="rp")
    checked = await (await _validator()).validate({"id_token_hint": hint, "client_id": "rp"})
    assert checked.client is not None
    assert checked.client.client_id == "rp"


def test_state_is_added_to_a_registered_query_and_left_out_when_absent() -> None:
    with_query = EndSessionRequest(post_logout_redirect_uri=f"{BYE}?a=1", state="s")
    assert with_query.redirect_url == f"{BYE}?a=1&state=s"
    assert EndSessionRequest(post_logout_redirect_uri=BYE).redirect_url == BYE
    assert EndSessionRequest(state="s").redirect_url is None


async def test_only_a_verified_hint_lets_the_redirect_go_without_asking() -> None:
    validator = await _validator()
    hinted = await validator.validate({"id_token_hint": _hint(), "post_logout_redirect_uri": BYE})
    assert not hinted.redirect_needs_confirmation
    named = await validator.validate({"client_id": "rp", "post_logout_redirect_uri": BYE})
    assert named.redirect_needs_confirmation  # §2: anyone can write a client_id into a link
    nowhere = await validator.validate({"client_id": "rp"})
    assert not nowhere.redirect_needs_confirmation  # no redirect, nothing to confirm
