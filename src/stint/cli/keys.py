"""`stint keys list | rotate | purge`: the signing keys, and rotating them without downtime."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.table import Column, Table

from stint.cli.common import console, err_console, migrated_database, settings_or_exit
from stint.protocol.keys import SIGNING_ALGORITHMS
from stint.settings import Settings, read_or_create_secret
from stint.storage.key_store import KeySealer, RotationInProgressError, SqlSigningKeyStore

__all__ = ["keys_app"]

T = TypeVar("T")
keys_app = typer.Typer(help="Manage the signing keys (JWKS).", no_args_is_help=True)


def _run(work: Callable[[SqlSigningKeyStore, Settings], Awaitable[T]]) -> T:
    settings = settings_or_exit()

    async def go() -> T:
        async with migrated_database(settings) as db:
            store = SqlSigningKeyStore(db, KeySealer(read_or_create_secret(settings)))
            return await work(store, settings)

    return asyncio.run(go())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


@keys_app.command("list")
def list_keys() -> None:
    """Every key with its algorithm and when it signs from and retires."""

    async def work(store: SqlSigningKeyStore, _settings: Settings) -> None:
        now = datetime.now(UTC)
        # A kid is copied into other commands: never cut it, however narrow the terminal.
        table = Table(
            Column("kid", no_wrap=True, min_width=43),
            Column("alg", no_wrap=True, min_width=5),
            Column("state", no_wrap=True, min_width=8),
            "signs from",
            "retires",
        )
        for key in sorted(await store.load_or_create(), key=lambda k: (k.alg, k.signs_from)):
            state = (
                "retired"
                if not key.published(now)
                else "next"
                if key.signs_from > now
                else "retiring"
                if key.retires_at
                else "current"
            )
            table.add_row(key.kid, key.alg, state, _when(key.signs_from), _when(key.retires_at))
        console.print(table)

    _run(work)


@keys_app.command("rotate")
def rotate(
    alg: Annotated[str, typer.Option(help=f"One of {', '.join(SIGNING_ALGORITHMS)}")] = "ES256",
    publish_seconds: Annotated[
        int | None,
        typer.Option(help="How long the new key is published before it signs (default: config)"),
    ] = None,
) -> None:
    """Publish the next key now; it signs after the publish delay, and the old key leaves the
    JWKS once every token it signed has expired."""
    if alg not in SIGNING_ALGORITHMS:
        err_console.print(f"[red]error:[/red] --alg must be one of {', '.join(SIGNING_ALGORITHMS)}")
        raise typer.Exit(2)

    async def work(store: SqlSigningKeyStore, settings: Settings) -> None:
        await store.load_or_create()
        delay = settings.key_publish_seconds if publish_seconds is None else publish_seconds
        # The old key verifies until the longest-lived token it signed has expired, plus the
        # time resource servers may keep an old JWKS.
        retire_after = (
            max(settings.access_token_ttl, settings.id_token_ttl) + settings.jwks_max_age_seconds
        )
        try:
            plan = await store.rotate(alg, publish_seconds=delay, retire_after_seconds=retire_after)
        except RotationInProgressError as exc:
            err_console.print(f"[red]error:[/red] {exc}; see `stint keys list`")
            raise typer.Exit(1) from None
        console.print(f"new {alg} key [bold]{plan.new_kid}[/bold] is published now")
        console.print(f"  it signs from   {_when(plan.activates_at)}")
        console.print(f"  retiring        {', '.join(plan.retiring) or '-'}")
        console.print(f"  they retire at  {_when(plan.retires_at)}")

    _run(work)


@keys_app.command("purge")
def purge() -> None:
    """Delete keys that have retired (they are no longer in the JWKS)."""

    async def work(store: SqlSigningKeyStore, _settings: Settings) -> None:
        count = await store.purge_retired(datetime.now(UTC))
        console.print(f"purged {count} retired key(s)")

    _run(work)
