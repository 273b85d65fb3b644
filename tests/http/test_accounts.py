"""Accounts over HTTP: registration rules, Basic and token authentication, /api/token."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwt
from starlette.applications import Starlette

from stint.accounts.passwords import PasswordHashing, PasswordVerdict
from stint.protocol.keys import generate_signing_key
from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, PASSWORD, Account, basic, problem, register

pytestmark = pytest.mark.anyio


class CountingHashing(PasswordHashing):
    """Cheap argon2id that counts the passwords it verifies."""

    def __init__(self) -> None:
        super().__init__(memory_kib=1024, time_cost=1)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, password_hash: str | None, password: str) -> PasswordVerdict:
        with self._lock:  # verify runs in worker threads
            self.verified += 1
        return super().verify(password_hash, password)


@asynccontextmanager
async def _client(app: Starlette, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _from_address(client: httpx.AsyncClient, address: str) -> Any:
    """Another client on the same app, from another address."""
    return _client(client._transport.app, address)  # type: ignore[attr-defined]


def _segment(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return _segment(header), _segment(payload)


async def test_registration_returns_the_user_and_its_location(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users", json={"username": "Carol", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "username": "Carol"}
    assert response.headers["location"] == f"/api/users/{body['id']}"
    own = await client.get(response.headers["location"], headers=basic("Carol", PASSWORD))
    assert own.json() == body  # no hash, no flags: public fields only


async def test_registration_names_every_missing_field(client: httpx.AsyncClient) -> None:
    body = problem(await client.post("/api/users", json={}), 400)
    assert {e["field"] for e in body["errors"]} == {"username", "password"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "ab", "password": PASSWORD}, "username"),
        ({"username": "has space", "password": PASSWORD}, "username"),
        ({"username": "-dash-first", "password": PASSWORD}, "username"),
        ({"username": "x" * 33, "password": PASSWORD}, "username"),
        ({"username": 42, "password": PASSWORD}, "username"),
        ({"username": "dave", "password": "short"}, "password"),
        ({"username": "dave", "password": "p" * 1025}, "password"),
        ({"username": "dave", "password": "password123"}, "password"),
        ({"username": "dave", "password": "PASSWORD1"}, "password"),
    ],
)
async def test_registration_rejects_bad_fields(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    body = problem(await client.post("/api/users", json=payload), 400)
    assert [e["field"] for e in body["errors"]] == [field]


async def test_registration_rejects_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users", content=b'{"username": ', headers={"Content-Type": "application/json"}
    )
    problem(response, 400)


async def test_usernames_are_unique_without_regard_to_case(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.post("/api/users", json={"username": "ALICE", "password": PASSWORD})
    assert problem(response, 409)["type"].endswith("username-taken")


async def test_users_by_id_need_authentication_and_show_only_the_caller(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    anonymous = await client.get(f"/api/users/{alice.id}")
    problem(anonymous, 401)
    assert "alice" not in anonymous.text
    assert "Basic" in anonymous.headers["www-authenticate"]
    assert (await client.get(f"/api/users/{alice.id}", headers=alice.bearer)).json() == {
        "id": alice.id,
        "username": "alice",
    }
    # Another user's id and an id nobody has answer alike: ids do not reveal usernames.
    other = problem(await client.get(f"/api/users/{bob.id}", headers=alice.bearer), 404)
    nobody = problem(await client.get("/api/users/999", headers=alice.bearer), 404)
    assert other == nobody


async def test_me_answers_with_basic_and_with_bearer(
    client: httpx.AsyncClient, alice: Account
) -> None:
    expected = {"id": alice.id, "username": "alice"}
    assert (await client.get("/api/me", headers=alice.basic)).json() == expected
    assert (await client.get("/api/me", headers=alice.bearer)).json() == expected


async def test_missing_credentials_get_a_basic_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/resource")
    problem(response, 401)
    assert response.headers["www-authenticate"].startswith('Basic realm="stint"')


async def test_wrong_password_is_401(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get("/api/resource", headers=basic("alice", "not the password"))
    problem(response, 401)


async def test_resource_and_time_greet_the_caller(
    client: httpx.AsyncClient, alice: Account
) -> None:
    assert (await client.get("/api/resource", headers=alice.basic)).json() == {
        "data": "Hello, alice!"
    }
    clock = (await client.get("/api/time", headers=alice.bearer)).json()
    assert set(clock) == {"year", "month", "day", "hour", "minute", "second"}
    assert abs(time.gmtime().tm_hour - clock["hour"]) in (0, 1, 23)


async def test_token_is_an_rfc9068_jwt_signed_with_the_instance_key(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    response = await client.get("/api/token", headers=alice.basic)
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert response.headers["cache-control"] == "no-store"
    header, claims = _claims(body["token"])
    key = app.state.runtime.keys.current
    assert header == {"typ": "at+jwt", "alg": "ES256", "kid": key.kid}
    assert claims["sub"] == str(alice.id)
    assert claims["iss"] == "http://testserver"
    assert claims["aud"] == "http://testserver/api"
    assert claims["exp"] - claims["iat"] == 600
    assert {"iat", "jti", "client_id", "scope"} <= set(claims)
    jwt.decode(body["token"], key.key, algorithms=["ES256"])  # the signature verifies


async def test_token_works_as_basic_username_with_any_password(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.get("/api/resource", headers=basic(alice.token, "anything"))
    assert response.json() == {"data": "Hello, alice!"}


async def test_a_token_cannot_buy_a_new_token(client: httpx.AsyncClient, alice: Account) -> None:
    # Otherwise a stolen ten-minute token could be renewed for ever.
    problem(await client.get("/api/token", headers=alice.bearer), 401)
    problem(await client.get("/api/token", headers=basic(alice.token, "x")), 401)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),  # signature
        lambda t: t.split(".")[0] + "." + t.split(".")[1][:-2] + "." + t.split(".")[2],
        lambda t: "not-a-token",
        lambda t: "a.b.c",
    ],
)
async def test_tampered_tokens_are_refused_with_invalid_token(
    client: httpx.AsyncClient, alice: Account, mangle: Any
) -> None:
    response = await client.get(
        "/api/resource", headers={"Authorization": f"Bearer {mangle(alice.token)}"}
    )
    problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def _signed(app: Starlette, claims: dict[str, Any], key: Any = None) -> str:
    signing = key or app.state.runtime.keys.current
    header = {"alg": "ES256", "kid": signing.kid, "typ": "at+jwt"}
    return jwt.encode(header, claims, signing.key)


def _good_claims(alice: Account, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "http://testserver",
        "aud": "http://testserver/api",
        "sub": str(alice.id),
        "client_id": "stint-first-party",
        "iat": now,
        "exp": now + 60,
        "jti": "j",
        "scope": "profile",
        "preferred_username": "alice",
    }
    claims.update(changes)
    return claims


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int(time.time()) - 5},
        {"iss": "https://evil.example"},
        {"aud": "https://other.example/api"},
    ],
)
async def test_expired_or_foreign_tokens_are_refused(
    client: httpx.AsyncClient, app: Starlette, alice: Account, changes: dict[str, Any]
) -> None:
    token = await _signed(app, _good_claims(alice, **changes))
    problem(await client.get("/api/me", headers={"Authorization": f"Bearer {token}"}), 401)


async def test_token_signed_by_an_unknown_key_is_refused(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    token = await _signed(app, _good_claims(alice), key=generate_signing_key())
    problem(await client.get("/api/me", headers={"Authorization": f"Bearer {token}"}), 401)


async def test_token_without_the_needed_scope_gets_403_insufficient_scope(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    token = await _signed(app, _good_claims(alice, scope="profile"))
    response = await client.get("/api/activities", headers={"Authorization": f"Bearer {token}"})
    problem(response, 403)
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="activities:read"' in challenge
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).is_success


async def test_disabling_an_account_stops_its_password_and_tokens(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    assert (await client.get("/api/me", headers=alice.basic)).is_success  # cached credentials
    store = app.state.services.accounts._users
    assert await store.set_disabled(alice.id, True)
    problem(await client.get("/api/me", headers=alice.bearer), 401)
    problem(await client.get("/api/me", headers=alice.basic), 401)
    problem(await client.get("/api/token", headers=alice.basic), 401)
    problem(await client.get(f"/api/users/{alice.id}", headers=alice.bearer), 401)


async def test_basic_credentials_verified_before_write_no_sign_in_counts(
    client: httpx.AsyncClient, app: Starlette, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await client.get("/api/me", headers=alice.basic)).is_success  # verified, cached
    counters = app.state.services.accounts.throttle._counters
    writes: list[str] = []

    async def recorded(key: str, *_args: object) -> int:
        writes.append(key)
        return 1

    for name in ("increment", "decrement", "reset"):
        monkeypatch.setattr(counters, name, recorded)
    for _ in range(5):
        assert (await client.get("/api/activities", headers=alice.basic)).is_success
    assert writes == []


async def test_ten_wrong_guesses_from_one_address_get_429_there_but_never_lock_out_the_owner(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for _ in range(10):
        problem(await client.get("/api/me", headers=basic("alice", "wrong password")), 401)
    response = await client.get("/api/me", headers=basic("alice", PASSWORD))
    assert problem(response, 429)["type"].endswith("too-many-attempts")
    assert int(response.headers["retry-after"]) > 0
    # The owner, from another address, still signs in: someone else's guesses lock nobody out.
    async with _from_address(client, "198.51.100.9") as elsewhere:
        assert (await elsewhere.get("/api/me", headers=alice.basic)).is_success
        assert (await elsewhere.get("/api/token", headers=alice.basic)).is_success


async def test_concurrent_wrong_guesses_verify_at_most_the_limit(settings: Settings) -> None:
    hashing = CountingHashing()
    app = create_app(settings, hashing=hashing)
    async with app.router.lifespan_context(app), _client(app, "203.0.113.7") as guesser:
        await register(guesser, "alice")
        hashing.verified = 0
        guesses = [
            guesser.get("/api/token", headers=basic("alice", f"guess{i}")) for i in range(40)
        ]
        statuses = sorted(r.status_code for r in await asyncio.gather(*guesses))
    limit = settings.login_failures_per_account
    assert hashing.verified <= limit
    assert statuses == [401] * limit + [429] * (40 - limit)


async def test_workers_sharing_a_database_share_the_sign_in_counts(
    settings: Settings, alice: Account
) -> None:
    one = create_app(settings, hashing=FAST_HASHING)
    two = create_app(settings, hashing=FAST_HASHING)
    async with (
        one.router.lifespan_context(one),
        two.router.lifespan_context(two),
        _client(one, "203.0.113.8") as first,
        _client(two, "203.0.113.8") as second,
    ):
        for worker in [first, second] * 5:
            problem(await worker.get("/api/me", headers=basic("alice", "guess")), 401)
        problem(await first.get("/api/me", headers=alice.basic), 429)
        problem(await second.get("/api/me", headers=alice.basic), 429)


async def test_guesses_from_many_addresses_are_slowed_without_locking_out_the_owner(
    settings: Settings,
) -> None:
    app = create_app(
        settings.model_copy(update={"login_account_failure_ceiling": 3}), hashing=FAST_HASHING
    )
    async with app.router.lifespan_context(app):
        async with _client(app, "192.0.2.1") as owner:
            alice = await register(owner, "alice")
        async with _client(app, "198.51.100.1") as guesser:  # under the ceiling: as usual
            for _ in range(3):
                problem(await guesser.get("/api/me", headers=basic("alice", "guess")), 401)
        async with _client(app, "198.51.100.50") as guesser:
            problem(await guesser.get("/api/me", headers=basic("alice", "guess")), 401)
            problem(await guesser.get("/api/me", headers=basic("alice", "guess")), 429)
        async with _client(app, "192.0.2.1") as owner:
            for _ in range(3):
                assert (await owner.get("/api/me", headers=alice.basic)).is_success


async def test_signing_in_often_is_never_throttled(
    client: httpx.AsyncClient, alice: Account, settings: Settings
) -> None:
    for _ in range(settings.login_failures_per_ip + 5):
        assert (await client.get("/api/me", headers=alice.basic)).is_success
    problem(await client.get("/api/me", headers=basic("alice", "one typo")), 401)
    assert (await client.get("/api/me", headers=alice.basic)).is_success


async def test_one_address_guessing_many_accounts_is_throttled(client: httpx.AsyncClient) -> None:
    statuses = [
        (await client.get("/api/me", headers=basic(f"nobody{i}", "guess guess"))).status_code
        for i in range(51)
    ]
    assert statuses[:50] == [401] * 50
    assert statuses[50] == 429


async def test_no_password_reaches_the_logs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "unmistakable secret phrase 9137"
    caplog.set_level("DEBUG")
    await client.post("/api/users", json={"username": "frank", "password": secret})
    await client.get("/api/me", headers=basic("frank", secret + "x"))
    token = (await client.get("/api/token", headers=basic("frank", secret))).json()["token"]
    await client.get("/api/me", headers={"Authorization": f"Bearer {token}x"})
    assert secret not in caplog.text
    assert token not in caplog.text
