"""`stint serve | migrate | users | version`."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.table import Table

from stint import __version__
from stint.accounts.ports import UsernameTakenError
from stint.accounts.service import AccountService, RegistrationError
from stint.cli.clients import clients_app
from stint.cli.common import (
    console,
    err_console,
    migrated_database,
    revocation_log,
    settings_or_exit,
)
from stint.cli.keys import keys_app
from stint.cli.social import social_app
from stint.storage.database import Database
from stint.storage.session_store import SqlSessionStore
from stint.storage.user_store import SqlUserStore

__all__ = ["app", "main"]

T = TypeVar("T")

app = typer.Typer(
    help="Stint: time tracking with its own OAuth 2.0 / OpenID Connect provider.",
    no_args_is_help=True,
    add_completion=False,
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(clients_app, name="clients")
app.add_typer(keys_app, name="keys")
app.add_typer(social_app, name="social")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@app.command()
def version() -> None:
    """Print Stint's version."""
    console.print(f"stint {__version__}")


@app.command("migrate")
def migrate_command() -> None:
    """Create the database, or bring it to the newest schema."""
    from stint.storage.migrate import current_revision, migrate  # Alembic: only when migrating

    settings = settings_or_exit()

    async def go() -> tuple[str | None, str | None]:
        db = Database(settings.effective_database_url)
        try:
            before = await current_revision(db)
            await migrate(db)
            return before, await current_revision(db)
        finally:
            await db.dispose()

    before, after = _run(go())
    if before == after:
        console.print(f"database is up to date (migration {after})")
    else:
        console.print(f"migrated the database from {before or 'empty'} to {after}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request")] = True,
) -> None:
    """Serve the API and the authorization server."""
    # The workers read their settings from the environment: pass the options on through it.
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"STINT_{name}"] = str(value)
    settings = settings_or_exit()
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def check_schema() -> None:
        async with migrated_database(settings):
            pass  # exits 1 unless migrated

    _run(check_schema())
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"Stint {__version__} on {base}  ({settings.workers} worker(s))")
    console.print(f"  API docs      {base}/api/docs")
    console.print(f"  OpenAPI       {base}/api/openapi.json")
    console.print(
        f"  register      curl -X POST {base}/api/users -H 'Content-Type: "
        'application/json\' -d \'{"username": "you", "password": "..."}\''
    )
    console.print(f"  database      {settings.effective_database_url}")
    if sys.platform == "win32":
        uvicorn.run(
            "stint.web.asgi:app_factory",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            http="httptools",
            log_level=settings.log_level,
            access_log=access_log,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,
        )
        return
    # Replace this process with uvicorn: the server then carries none of the CLI's imports
    # (typer, rich, Alembic), about 10 MiB per worker. Same pid, so signals reach it as before.
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "stint.web.asgi:app_factory",
        "--factory",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--workers",
        str(settings.workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        settings.log_level,
        "--proxy-headers",
        "--forwarded-allow-ips",
        settings.forwarded_allow_ips,
        "--no-server-header",
    ]
    if not access_log:
        command.append("--no-access-log")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)  # noqa: S606 (our own interpreter and arguments)


def _accounts(db: Database) -> tuple[SqlUserStore, AccountService]:
    from stint.accounts.memory_counters import MemoryCounterStore
    from stint.accounts.passwords import PasswordHashing
    from stint.accounts.throttle import LoginThrottle, ThrottleLimits

    store = SqlUserStore(db)
    throttle = LoginThrottle(MemoryCounterStore(), ThrottleLimits(10, 50, 300))
    return store, AccountService(store, PasswordHashing(), throttle, cache_key=os.urandom(32))


@users_app.command("create")
def users_create(
    username: str,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Asked for when not given; reads stdin when piped",
        ),
    ],
) -> None:
    """Create a user account."""
    settings = settings_or_exit()

    async def go() -> None:
        async with migrated_database(settings) as db:
            user = await _accounts(db)[1].register(username, password)
            console.print(f"created user {user.username} (id {user.id})")

    try:
        _run(go())
    except RegistrationError as exc:
        for field, problem in exc.problems.items():
            err_console.print(f"[red]error:[/red] {field} {problem}")
        raise typer.Exit(1) from None
    except UsernameTakenError:
        err_console.print(f"[red]error:[/red] the username {username!r} is taken")
        raise typer.Exit(1) from None


@users_app.command("list")
def users_list() -> None:
    """List user accounts."""
    settings = settings_or_exit()

    async def go() -> None:
        async with migrated_database(settings) as db:
            store = _accounts(db)[0]
            table = Table("id", "username", "status", "created")
            after = 0
            while batch := await store.page(after_id=after, limit=500):
                for user in batch:
                    status = "disabled" if user.disabled else "active"
                    table.add_row(str(user.id), user.username, status, user.created_at.isoformat())
                after = batch[-1].id
            console.print(table)

    _run(go())


def _set_disabled(username: str, disabled: bool) -> None:
    from stint.accounts.usernames import username_key

    settings = settings_or_exit()

    async def go() -> bool:
        async with migrated_database(settings) as db, revocation_log(settings, db) as log:
            store = SqlUserStore(db, log)
            user = await store.by_username_key(username_key(username))
            if user is None or not await store.set_disabled(user.id, disabled):
                return False
            if disabled:
                # Its browser sessions end too: the servers' sweep (within a minute) deletes them
                # and tells the apps that signed in with them (back-channel logout).
                await SqlSessionStore(db).expire_for_user(user.id, datetime.now(UTC))
            return True

    if not _run(go()):
        err_console.print(f"[red]error:[/red] no user {username!r}")
        raise typer.Exit(1)
    console.print(f"{'disabled' if disabled else 'enabled'} {username}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account: its password and tokens stop working on every worker within a
    second; its browser sessions end, and their apps are told, within a minute."""
    _set_disabled(username, True)


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Enable a disabled account again."""
    _set_disabled(username, False)


@users_app.command("profile")
def users_profile(
    username: str,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="claim=value, e.g. name='Ann Lee' email=ann@example.com; repeat; empty clears",
        ),
    ] = None,
    verify_email: Annotated[
        bool, typer.Option(help="Mark the email address verified (you checked it)")
    ] = False,
    verify_phone: Annotated[bool, typer.Option(help="Mark the phone number verified")] = False,
) -> None:
    """Show or change a user's OpenID Connect profile claims (OIDC Core §5.1)."""
    import json

    from stint.accounts.claims import AccountClaims
    from stint.accounts.profile import ProfileError
    from stint.accounts.usernames import username_key

    changes: dict[str, Any] = {}
    for item in set_ or []:
        name, sep, value = item.partition("=")
        if not sep:
            err_console.print(f"[red]error:[/red] --set needs claim=value, not {item!r}")
            raise typer.Exit(2)
        if name.startswith("address."):
            changes.setdefault("address", {})[name.removeprefix("address.")] = value
        else:
            changes[name] = value
    if verify_email:
        changes["email_verified"] = True
    if verify_phone:
        changes["phone_number_verified"] = True
    settings = settings_or_exit()

    async def go() -> dict[str, Any] | None:
        async with migrated_database(settings) as db, revocation_log(settings, db) as log:
            store = SqlUserStore(db, log)
            user = await store.by_username_key(username_key(username))
            if user is None:
                return None
            claims = AccountClaims(store)
            if changes:
                await claims.update(user.id, changes)
            return await claims.claims(user.id)

    try:
        found = _run(go())
    except ProfileError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    if found is None:
        err_console.print(f"[red]error:[/red] no active user {username!r}")
        raise typer.Exit(1)
    console.print_json(json.dumps(found))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app()
