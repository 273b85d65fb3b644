"""Who a backchannel request names (CIBA Core §7.1): a login_hint, an id_token_hint we issued to
the client, or Stint's login_hint_token (a JWT the client signs, naming sub or login_hint)."""

from __future__ import annotations

from typing import Any

import pytest

from stint.protocol.ciba.errors import ExpiredLoginHintTokenError, UnknownUserIdError
from stint.protocol.errors import InvalidRequestError
from stint.protocol.oidc.context import AuthContext
from tests.protocol.ciba.conftest import OTHER_KEY, World
from tests.support.oauth_memory import ISSUER

pytestmark = pytest.mark.anyio


async def _id_token(world: World, client_id: str, user_id: int = 1) -> str:
    client = world.clients.clients[client_id]
    return await world.id_tokens.issue(client, user_id, AuthContext(auth_time=1))


def _hint_token(world: World, client_id: str = "poller", **claims: Any) -> str:
    now = int(world.oauth.clock().timestamp())
    values = {"iss": client_id, "aud": ISSUER, "exp": now + 300, **claims}
    return world.signed({k: v for k, v in values.items() if v is not None})


async def test_an_id_token_hint_issued_to_the_client_names_its_user(world: World) -> None:
    hint = await _id_token(world, "poller")
    started = await world.start(login_hint="", id_token_hint=hint)
    assert started.request.user_id == 1


async def test_an_expired_id_token_hint_still_names_its_user(world: World) -> None:
    hint = await _id_token(world, "poller")
    world.oauth.clock.advance(86400)
    assert (await world.start(login_hint="", id_token_hint=hint)).request.user_id == 1


async def test_an_id_token_hint_issued_to_another_client_is_refused(world: World) -> None:
    hint = await _id_token(world, "signer")
    with pytest.raises(InvalidRequestError, match="another client"):
        await world.start(login_hint="", id_token_hint=hint)


async def test_a_forged_id_token_hint_is_refused(world: World) -> None:
    forged = world.signed({"iss": ISSUER, "sub": "1", "aud": "poller"})
    with pytest.raises(InvalidRequestError):
        await world.start(login_hint="", id_token_hint=forged)


async def test_a_pairwise_subject_is_found_among_the_clients_users(world: World) -> None:
    hint = await _id_token(world, "pairwise")
    with pytest.raises(UnknownUserIdError):  # the client has no grants from anyone yet
        await world.start("pairwise", login_hint="", id_token_hint=hint)
    world.hinted.clients["pairwise"] = [3, 1]
    started = await world.start("pairwise", login_hint="", id_token_hint=hint)
    assert started.request.user_id == 1


async def test_a_login_hint_token_names_a_user_by_sub_or_login_hint(world: World) -> None:
    by_sub = await world.start(login_hint="", login_hint_token=_hint_token(world, sub="1"))
    assert by_sub.request.user_id == 1
    by_name = _hint_token(world, login_hint="alice")
    assert (await world.start(login_hint="", login_hint_token=by_name)).request.user_id == 1
    with pytest.raises(InvalidRequestError, match="neither"):
        await world.start(login_hint="", login_hint_token=_hint_token(world))


async def test_a_login_hint_token_for_a_pairwise_client_carries_its_pairwise_sub(
    world: World,
) -> None:
    world.hinted.clients["pairwise"] = [1]
    sub = world.id_tokens.subjects.for_client(1, world.clients.clients["pairwise"])
    token = _hint_token(world, "pairwise", sub=sub)
    started = await world.start("pairwise", login_hint="", login_hint_token=token)
    assert started.request.user_id == 1
    token = _hint_token(world, "pairwise", sub="1")  # the public sub means nothing here
    with pytest.raises(UnknownUserIdError):
        await world.start("pairwise", login_hint="", login_hint_token=token)


async def test_an_expired_login_hint_token_is_expired_login_hint_token(world: World) -> None:
    now = int(world.oauth.clock().timestamp())
    token = _hint_token(world, sub="1", exp=now - 60)
    with pytest.raises(ExpiredLoginHintTokenError) as raised:
        await world.start(login_hint="", login_hint_token=token)
    assert raised.value.error == "expired_login_hint_token"


@pytest.mark.parametrize(
    "claims",
    [{"aud": "https://else.example"}, {"iss": "signer"}, {"exp": None}],
)
async def test_a_login_hint_token_for_someone_else_is_refused(
    world: World, claims: dict[str, Any]
) -> None:
    token = _hint_token(world, sub="1", **claims)
    with pytest.raises(InvalidRequestError):
        await world.start(login_hint="", login_hint_token=token)


async def test_a_login_hint_token_not_signed_by_the_clients_key_is_refused(world: World) -> None:
    now = int(world.oauth.clock().timestamp())
    claims = {"iss": "poller", "aud": ISSUER, "exp": now + 300, "sub": "1"}
    token = world.signed(claims, key=OTHER_KEY)
    with pytest.raises(InvalidRequestError, match="signature"):
        await world.start(login_hint="", login_hint_token=token)


async def test_a_login_hint_token_naming_nobody_is_unknown_user_id(world: World) -> None:
    with pytest.raises(UnknownUserIdError):
        await world.start(login_hint="", login_hint_token=_hint_token(world, sub="99"))
    with pytest.raises(UnknownUserIdError):
        await world.start(login_hint="", login_hint_token=_hint_token(world, sub="not-a-number"))
