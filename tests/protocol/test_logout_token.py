"""Logout tokens (Back-Channel Logout 1.0 §2.4): claims, explicit type, the client's algorithm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from stint.protocol.clients import Client
from stint.protocol.keys import SIGNING_ALGORITHMS, KeyRing, SigningKey, generate_signing_key
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT, LogoutTokens
from stint.protocol.oidc.subject import SubjectIdentifiers
from tests.support.clients import relying_party

pytestmark = pytest.mark.anyio

ISSUER = "https://stint.example"
KEYS = [generate_signing_key(alg) for alg in SIGNING_ALGORITHMS]


def _client(**metadata: Any) -> Client:
    return relying_party(metadata=metadata)


async def _tokens(clock: Callable[[], float] = lambda: 1_900_000_000.0) -> LogoutTokens:
    async def load() -> list[SigningKey]:
        return KEYS

    ring = KeyRing(load)
    await ring.reload()
    id_tokens = IdTokenIssuer(
        ring,
        issuer=ISSUER,
        ttl=600,
        subjects=SubjectIdentifiers(b"s" * 32),
        claims_source=_NoClaims(),
    )
    return LogoutTokens(id_tokens, clock=clock)


class _NoClaims:
    async def claims(self, user_id: int) -> dict[str, Any]:
        return {}  # a logout token carries no profile claims


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    public = KeySet.import_key_set({"keys": [key.public_jwk() for key in KEYS]})
    decoded = jwt.decode(token, public, algorithms=list(SIGNING_ALGORITHMS))
    return dict(decoded.header), dict(decoded.claims)


async def test_claims_and_explicit_type() -> None:
    header, claims = _decode((await _tokens()).issue(_client(), 42, "sid-1"))
    assert header["typ"] == "logout+jwt"
    assert header["alg"] == "ES256"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "rp"
    assert claims["sub"] == "42"
    assert claims["sid"] == "sid-1"
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert claims["iat"] == 1_900_000_000
    assert claims["exp"] == 1_900_000_120
    assert "nonce" not in claims


async def test_each_token_has_its_own_jti() -> None:
    tokens = await _tokens()
    first = _decode(tokens.issue(_client(), 1, "s"))[1]["jti"]
    second = _decode(tokens.issue(_client(), 1, "s"))[1]["jti"]
    assert first != second


async def test_signed_with_the_clients_id_token_algorithm() -> None:
    tokens = await _tokens()
    rs256 = _client(id_token_signed_response_alg="RS256")
    assert _decode(tokens.issue(rs256, 1, "s"))[0]["alg"] == "RS256"
    unsigned = _client(id_token_signed_response_alg="none")
    assert _decode(tokens.issue(unsigned, 1, "s"))[0]["alg"] == "ES256", "always signed"


async def test_pairwise_subject_and_no_sid_without_a_session_id() -> None:
    client = _client(subject_type="pairwise")
    _, claims = _decode((await _tokens()).issue(client, 7, ""))
    assert claims["sub"] == SubjectIdentifiers(b"s" * 32).for_client(7, client)
    assert claims["sub"] != "7"
    assert "sid" not in claims


async def test_a_stale_token_is_renewed_for_a_late_retry() -> None:
    now = [1_900_000_000.0]
    tokens = await _tokens(lambda: now[0])
    token = tokens.issue(_client(), 42, "sid-1")
    now[0] += 60
    assert tokens.renewed(token, _client()) == token, "still good for a minute"
    now[0] += 40
    renewed = tokens.renewed(token, _client())
    header, claims = _decode(renewed)
    _, before = _decode(token)
    assert header["typ"] == "logout+jwt"
    assert claims["jti"] != before["jti"]
    assert (claims["iat"], claims["exp"]) == (1_900_000_100, 1_900_000_220)
    unchanged = ("iss", "sub", "aud", "sid", "events")
    assert {k: claims[k] for k in unchanged} == {k: before[k] for k in unchanged}
