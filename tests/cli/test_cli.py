"""The `stint` command line on a fresh SQLite data folder."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stint import __version__
from stint.accounts.sessions import Session
from stint.cli.main import app
from stint.storage.database import Database
from stint.storage.session_store import SqlSessionStore
from stint.storage.user_store import SqlUserStore


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("STINT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return {"STINT_DATA_DIR": str(tmp_path / "data")}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def test_version(env: dict[str, str]) -> None:
    assert run(env, "version") == (0, f"stint {__version__}\n")


def test_migrate_creates_then_reports_up_to_date(env: dict[str, str], tmp_path: Path) -> None:
    code, out = run(env, "migrate")
    assert code == 0 and "from empty to" in out
    assert (tmp_path / "data" / "stint.sqlite3").exists()
    code, out = run(env, "migrate")
    assert code == 0 and "up to date" in out


def test_users_create_list_disable_enable(env: dict[str, str]) -> None:
    run(env, "migrate")
    pw = "a long enough passphrase"
    code, out = run(env, "users", "create", "grace", stdin=f"{pw}\n{pw}\n")
    assert code == 0, out
    assert "created user grace" in out
    code, out = run(env, "users", "create", "GRACE", "--password", pw)
    assert code == 1 and "taken" in out
    code, out = run(env, "users", "create", "hal", "--password", "password1")
    assert code == 1 and "commonly used" in out
    assert run(env, "users", "disable", "grace")[0] == 0
    code, out = run(env, "users", "list")
    assert code == 0 and "grace" in out and "disabled" in out
    assert run(env, "users", "enable", "Grace")[0] == 0
    assert "active" in run(env, "users", "list")[1]
    code, out = run(env, "users", "disable", "nobody")
    assert code == 1 and "no user" in out


def test_serve_refuses_an_unmigrated_database(env: dict[str, str]) -> None:
    code, out = run(env, "serve", "--port", "8999")
    assert code == 1
    assert "stint migrate" in out


def test_bad_configuration_exits_2_with_the_reason(env: dict[str, str]) -> None:
    code, out = run({**env, "STINT_PORT": "not-a-port"}, "migrate")
    assert code == 2
    assert "port" in out


@pytest.mark.parametrize("command", [["users", "list"], ["users", "disable", "x"]])
def test_user_commands_on_an_unmigrated_database_say_to_migrate(
    env: dict[str, str], command: list[str]
) -> None:
    code, out = run(env, *command)
    assert code == 1
    assert "stint migrate" in out


def test_users_profile_sets_shows_and_validates_claims(env: dict[str, str]) -> None:
    run(env, "migrate")
    run(env, "users", "create", "ivy", "--password", "a long enough passphrase")
    code, out = run(
        env,
        "users",
        "profile",
        "ivy",
        "--set",
        "name=Ivy Chen",
        "--set",
        "email=ivy@example.com",
        "--set",
        "address.locality=Lyon",
        "--verify-email",
    )
    assert code == 0, out
    assert '"email_verified": true' in out and '"name": "Ivy Chen"' in out
    # A new address is not verified until someone checks it again.
    code, out = run(env, "users", "profile", "ivy", "--set", "email=ivy@example.org")
    assert code == 0 and '"email_verified": false' in out
    code, out = run(env, "users", "profile", "ivy", "--set", "website=http://x.example")
    assert code == 1 and "https://" in out
    code, out = run(env, "users", "profile", "nobody")
    assert code == 1 and "no active user" in out


def test_disabling_a_user_makes_their_browser_sessions_run_out(
    env: dict[str, str], tmp_path: Path
) -> None:
    run(env, "migrate")
    run(env, "users", "create", "grace", "--password", "a long enough passphrase")
    run(env, "users", "create", "ada", "--password", "a long enough passphrase")
    database = f"sqlite:///{tmp_path / 'data' / 'stint.sqlite3'}"
    later = datetime.now(UTC) + timedelta(hours=1)

    async def add_sessions() -> None:
        db = Database(database)
        users = SqlUserStore(db)
        for name in ("grace", "ada"):
            user = await users.by_username_key(name)
            assert user is not None
            await SqlSessionStore(db).add(
                Session(name.ljust(64, "0"), user.id, later, later, later, sid=f"sid-{name}")
            )
        await db.dispose()

    async def taken() -> list[str]:
        db = Database(database)
        # What the servers' sweep does each minute: end, and tell the apps of, what ran out.
        expired = await SqlSessionStore(db).take_expired(datetime.now(UTC), 10)
        await db.dispose()
        return [s.sid for s in expired]

    asyncio.run(add_sessions())
    assert run(env, "users", "disable", "grace")[0] == 0
    assert asyncio.run(taken()) == ["sid-grace"]
