"""Signing key rotation end to end, through HTTP: publish first, sign later, retire last
(src/stint/protocol/keys.py), and ``stint keys rotate | list | purge``.

Also the Dynamic plan's ``oidcc-server-rotate-keys``: after a rotation the JWKS has a new
signing key, still has the old one, and every kid is distinct.

Two ways through time: the real clock with short delays (publish_seconds=0, a retirement a
couple of seconds away), and an app whose KeyRing reads a clock the test moves, so the real
publish delay can be stepped over.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import update
from starlette.applications import Starlette
from typer.testing import CliRunner

from stint.cli.main import app as cli_app
from stint.protocol.keys import KeyRing
from stint.settings import Settings
from stint.storage.key_store import RotationPlan
from stint.storage.tables import signing_keys
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, Account, register
from tests.oidc.support import (
    ISSUER,
    USERINFO_PATH,
    CodeFlow,
    OidcClient,
    authorization_url,
    code_flow,
    jwks,
    oidc_client,
    redirect_params,
    unverified,
    verify_id_token,
)
from tests.support.clock import Clock
from tests.support.pages import browser

pytestmark = pytest.mark.anyio


def _kid(token: str) -> str:
    kid: str = unverified(token)[0]["kid"]
    return kid


async def _kids(client: httpx.AsyncClient, alg: str | None = None) -> set[str]:
    return {key["kid"] for key in await jwks(client) if alg is None or key["alg"] == alg}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _works(client: httpx.AsyncClient, flow: CodeFlow) -> None:
    """The flow's access token is accepted by the API and by UserInfo."""
    me = await client.get("/api/resource", headers=_bearer(flow.access_token))
    assert me.status_code == 200, me.text
    info = await client.get(USERINFO_PATH, headers=_bearer(flow.access_token))
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == flow.claims["sub"]


async def _refused(client: httpx.AsyncClient, flow: CodeFlow) -> None:
    me = await client.get("/api/resource", headers=_bearer(flow.access_token))
    assert me.status_code == 401, me.text
    info = await client.get(USERINFO_PATH, headers=_bearer(flow.access_token))
    assert info.status_code == 401, info.text
    assert 'error="invalid_token"' in info.headers["www-authenticate"]


# --- on the real clock -------------------------------------------------------------------------


async def test_rotation_publishes_the_next_key_before_it_signs(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    runtime = app.state.runtime
    rp = await oidc_client(app)
    async with browser(app) as b:
        before = await code_flow(client, b, rp, "alice")
        old = _kid(before.id_token)
        assert _kid(before.access_token) == old  # both ES256, the one current key

        plan = await runtime.key_store.rotate(
            "ES256", publish_seconds=3600, retire_after_seconds=3600
        )
        await runtime.keys.reload()
        assert plan.retiring == (old,)
        assert plan.new_kid != old
        # Published at once, next to the old key, each with its own kid.
        assert await _kids(client, "ES256") == {old, plan.new_kid}
        # ...but not signing yet: relying parties may still hold the JWKS without it.
        during = await code_flow(client, b, rp, "alice")
    assert _kid(during.id_token) == old
    assert _kid(during.access_token) == old
    await _works(client, before)
    await _works(client, during)
    # Only the ES256 line moved.
    assert len(await _kids(client)) == 4


async def test_oidcc_server_rotate_keys(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """Rotate, and the new key signs at once (publish_seconds=0); tokens signed before keep
    working while the old key is published; once it retires, its kid leaves the JWKS and what
    it signed is refused."""
    runtime = app.state.runtime
    rp = await oidc_client(app)
    async with browser(app) as b:
        before = await code_flow(client, b, rp, "alice")
        old = _kid(before.id_token)
        await _works(client, before)  # (and the verifier has seen this token once)

        plan = await runtime.key_store.rotate("ES256", publish_seconds=0, retire_after_seconds=3)
        await runtime.keys.reload()
        rotated = await _kids(client, "ES256")
        assert rotated == {old, plan.new_kid}  # a new signing key, and the old one still
        all_kids = [key["kid"] for key in await jwks(client)]
        assert len(all_kids) == len(set(all_kids))

        after = await code_flow(client, b, rp, "alice")  # verified against the new JWKS
        assert _kid(after.id_token) == plan.new_kid
        assert _kid(after.access_token) == plan.new_kid
        await _works(client, before)  # signed by the old key, still published
        await _works(client, after)
        # The old ID token is still a good id_token_hint.
        silent = await b.get(
            authorization_url(rp.client_id, prompt="none", id_token_hint=before.id_token)
        )
        assert "code" in redirect_params(silent)

        await _retire_now(runtime, plan)
        assert await _kids(client, "ES256") == {plan.new_kid}
        await _refused(client, before)
        await _works(client, after)
        # A retired key verifies nothing, the hint included.
        hinted = await b.get(
            authorization_url(rp.client_id, prompt="none", id_token_hint=before.id_token)
        )
        assert redirect_params(hinted)["error"] == "invalid_request"
        # Verifying the old ID token against the published JWKS fails: its kid is gone.
        with pytest.raises(AssertionError):
            await verify_id_token(
                client, before.id_token, rp.client_id, access_token=before.access_token
            )

    # Retired keys can be purged; the ring keeps working without them.
    assert await runtime.key_store.purge_retired(datetime.now(UTC)) == 1
    await runtime.keys.reload()
    assert old not in {key.kid for key in await runtime.key_store.load()}
    await _works(client, after)


async def _retire_now(runtime: Any, plan: RotationPlan) -> None:
    """Move the replaced keys' retirement a second into the past: what waiting for
    ``plan.retires_at`` would do, without the wait; the ring reloads, as it does periodically."""
    async with runtime.db.write() as conn:
        await conn.execute(
            update(signing_keys)
            .where(signing_keys.c.kid.in_(plan.retiring))
            .values(retires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await runtime.keys.reload()


async def test_a_second_rotation_waits_for_the_first_key_to_activate(app: Starlette) -> None:
    from stint.storage.key_store import RotationInProgressError

    store = app.state.runtime.key_store
    await store.rotate("RS256", publish_seconds=600, retire_after_seconds=600)
    with pytest.raises(RotationInProgressError):
        await store.rotate("RS256", publish_seconds=600, retire_after_seconds=600)
    # Another algorithm rotates on its own.
    await store.rotate("PS256", publish_seconds=600, retire_after_seconds=600)


async def test_rotating_rs256_moves_the_clients_that_registered_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    runtime = app.state.runtime
    rp = await oidc_client(app, id_token_signed_response_alg="RS256")
    es = await oidc_client(app)
    async with browser(app) as b:
        before = await code_flow(client, b, rp, "alice")
        plan = await runtime.key_store.rotate("RS256", publish_seconds=0, retire_after_seconds=60)
        await runtime.keys.reload()
        after = await code_flow(client, b, rp, "alice")
        untouched = await code_flow(client, b, es, "alice")
    assert before.header["alg"] == after.header["alg"] == "RS256"
    assert _kid(after.id_token) == plan.new_kid != _kid(before.id_token)
    assert untouched.header["alg"] == "ES256"
    assert _kid(untouched.id_token) not in plan.retiring


# --- on a clock the test moves -----------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
async def timed_app(
    settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Starlette]:
    """The app, with a KeyRing that reads ``clock`` to decide which key signs and which are
    published (everything else, token expiry included, keeps the real clock)."""
    monkeypatch.setattr("stint.web.core.KeyRing", functools.partial(KeyRing, clock=clock))
    application = create_app(settings, hashing=FAST_HASHING)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def timed_client(timed_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=timed_app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as c:
        yield c


async def test_the_full_key_life_on_a_moved_clock(
    timed_app: Starlette, timed_client: httpx.AsyncClient, clock: Clock, settings: Settings
) -> None:
    client = timed_client
    runtime = timed_app.state.runtime
    await register(client, "alice")
    rp = await oidc_client(timed_app)
    async with browser(timed_app) as b:
        before = await code_flow(client, b, rp, "alice")
        old = _kid(before.id_token)
        await _works(client, before)

        # What `stint keys rotate` does with the default settings.
        publish = settings.key_publish_seconds
        retire_after = max(settings.access_token_ttl, settings.id_token_ttl)
        retire_after += settings.jwks_max_age_seconds
        plan = await runtime.key_store.rotate(
            "ES256", publish_seconds=publish, retire_after_seconds=retire_after
        )
        await runtime.keys.reload()

        # 1. Published, not signing.
        assert await _kids(client, "ES256") == {old, plan.new_kid}
        assert _kid((await code_flow(client, b, rp, "alice")).id_token) == old

        # 2. Past the publish delay: the new key signs; the old one still verifies. The store
        # dates the rotation by the real clock, which has run on since the test clock was set.
        clock.now = plan.activates_at + timedelta(seconds=1)
        after = await code_flow(client, b, rp, "alice")
        assert _kid(after.id_token) == _kid(after.access_token) == plan.new_kid
        assert await _kids(client, "ES256") == {old, plan.new_kid}
        await _works(client, before)
        await _works(client, after)

        # 3. Past retirement: the old kid is gone from the JWKS and verifies nothing.
        clock.now = plan.retires_at + timedelta(seconds=1)
        assert await _kids(client, "ES256") == {plan.new_kid}
        await _refused(client, before)
        await _works(client, after)
        refreshed = await client.post(
            "/o/token/",
            data={"grant_type": "refresh_token", "refresh_token": before.tokens["refresh_token"]},
            headers=rp.auth[0],
        )
        # A refresh token is not a JWT: it still works, and what it gives is signed anew.
        assert refreshed.status_code == 200, refreshed.text
        assert _kid(refreshed.json()["id_token"]) == plan.new_kid
        assert _kid(refreshed.json()["access_token"]) == plan.new_kid


async def test_the_jwks_may_be_cached_no_longer_than_the_publish_delay(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    answer = await client.get("/o/.well-known/jwks.json")
    max_age = int(re.search(r"max-age=(\d+)", answer.headers["cache-control"]).group(1))  # type: ignore[union-attr]
    assert max_age == settings.jwks_max_age_seconds <= settings.key_publish_seconds


# --- stint keys ... ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment that points `stint` at the test's database, with the app's secret."""
    for name in list(os.environ):
        if name.startswith("STINT_"):
            monkeypatch.delenv(name)
    return {
        "STINT_DATA_DIR": str(settings.data_dir),
        "STINT_DATABASE_URL": settings.database_url or "",
        "STINT_SECRET_KEY": settings.secret_key,
        "STINT_ENVIRONMENT": "test",
        "COLUMNS": "250",  # rich tables: room for whole kids
    }


async def _stint(env: dict[str, str], *args: str) -> tuple[int, str]:
    def invoke() -> Any:
        return CliRunner().invoke(cli_app, list(args), env=env)

    # The CLI runs its own event loop (asyncio.run): give it a thread.
    result = await anyio.to_thread.run_sync(invoke)
    return result.exit_code, result.output


def _rows(table: str) -> dict[str, list[str]]:
    """`stint keys list`'s rows by kid: [alg, state, ...]."""
    rows: dict[str, list[str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) >= 3 and re.fullmatch(r"[A-Za-z0-9_-]{43}", cells[0]):
            rows[cells[0]] = cells[1:]
    return rows


async def test_stint_keys_rotate_and_list(
    app: Starlette, client: httpx.AsyncClient, alice: Account, cli_env: dict[str, str]
) -> None:
    runtime = app.state.runtime
    before_kids = await _kids(client)
    code, out = await _stint(cli_env, "keys", "list")
    assert code == 0, out
    rows = _rows(out)
    assert set(rows) == before_kids
    assert {row[0] for row in rows.values()} == {"ES256", "RS256", "PS256"}
    assert all(row[1] == "current" for row in rows.values()), out

    code, out = await _stint(cli_env, "keys", "rotate", "--alg", "ES256", "--publish-seconds", "0")
    assert code == 0, out
    new_kid = re.search(r"new ES256 key (\S+) is published now", out)
    assert new_kid is not None, out
    kid = new_kid.group(1)
    [old] = [k for k, row in rows.items() if row[0] == "ES256"]
    assert old in out  # named as retiring

    code, out = await _stint(cli_env, "keys", "list")
    assert code == 0, out
    rows = _rows(out)
    assert rows[kid][:2] == ["ES256", "current"]
    assert rows[old][:2] == ["ES256", "retiring"]

    # The running app picks the key up on its next reload and signs with it.
    await runtime.keys.reload()
    assert await _kids(client, "ES256") == {old, kid}
    rp: OidcClient = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    assert _kid(flow.id_token) == kid

    # With the default publish delay the next key waits, listed as next; a third rotation
    # while it waits is refused.
    code, out = await _stint(cli_env, "keys", "rotate", "--alg", "RS256")
    assert code == 0, out
    waiting = re.search(r"new RS256 key (\S+) is published now", out)
    assert waiting is not None
    code, out = await _stint(cli_env, "keys", "list")
    assert _rows(out)[waiting.group(1)][:2] == ["RS256", "next"]
    code, out = await _stint(cli_env, "keys", "rotate", "--alg", "RS256")
    assert code == 1
    assert "already waiting" in out

    code, out = await _stint(cli_env, "keys", "rotate", "--alg", "HS256")
    assert code == 2
    code, out = await _stint(cli_env, "keys", "purge")
    assert code == 0, out
    assert "purged 0 retired key(s)" in out  # nothing has retired yet
