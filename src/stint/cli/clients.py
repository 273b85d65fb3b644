"""`stint clients create | list | rotate-secret | delete`: OAuth clients, for operators."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, TypeVar

import typer
from rich.table import Column, Table

from stint.accounts.usernames import username_key
from stint.cli.common import (
    console,
    err_console,
    migrated_database,
    revocation_log,
    settings_or_exit,
)
from stint.protocol.ciba.client_options import backchannel_metadata
from stint.protocol.clients import grant_types_on
from stint.protocol.registration import ClientSpec, ClientSpecError, new_client, rotate_secret
from stint.protocol.scopes import API_SCOPES
from stint.protocol.secrets import SecretHasher
from stint.settings import read_or_create_secret
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.user_store import SqlUserStore

__all__ = ["clients_app"]

T = TypeVar("T")
clients_app = typer.Typer(help="Manage OAuth 2.0 clients.", no_args_is_help=True)


def _with_store(work: Callable[[SqlClientStore, SecretHasher, Database], Awaitable[T]]) -> T:
    settings = settings_or_exit()

    async def go() -> T:
        async with migrated_database(settings) as db, revocation_log(settings, db) as log:
            store = SqlClientStore(db, cache_seconds=0, revocation_log=log)
            return await work(store, SecretHasher(read_or_create_secret(settings)), db)

    return asyncio.run(go())


@clients_app.command("create")
def create(
    name: str,
    client_type: Annotated[str, typer.Option("--type", help="confidential or public")] = (
        "confidential"
    ),
    redirect_uri: Annotated[list[str] | None, typer.Option(help="Repeat for several")] = None,
    grant_type: Annotated[
        list[str] | None,
        typer.Option(
            help="Repeat for several; default: authorization_code, refresh_token."
            " A device without a browser: urn:ietf:params:oauth:grant-type:device_code"
        ),
    ] = None,
    scope: Annotated[list[str] | None, typer.Option(help="Default: every API scope")] = None,
    auth_method: Annotated[str | None, typer.Option(help="Token endpoint auth method")] = None,
    opaque_tokens: Annotated[bool, typer.Option(help="Opaque access tokens")] = False,
    introspect: Annotated[bool, typer.Option(help="May introspect any token")] = False,
    owner: Annotated[
        str | None, typer.Option(help="Username acting for client_credentials")
    ] = None,
    allow_http: Annotated[bool, typer.Option(help="Allow http:// redirect URIs")] = False,
    backchannel_token_delivery_mode: Annotated[
        str | None, typer.Option(help="CIBA: poll, ping or push (with the CIBA grant type)")
    ] = None,
    backchannel_client_notification_endpoint: Annotated[
        str | None, typer.Option(help="CIBA ping and push: the URL Stint calls back")
    ] = None,
    backchannel_user_code_parameter: Annotated[
        bool,
        typer.Option(help="CIBA: the client sends user_code (needs STINT_CIBA_USER_CODE)"),
    ] = False,
) -> None:
    """Register a client; its secret is shown once, here, and never again."""
    settings = settings_or_exit()
    enabled = grant_types_on(settings.grant_types)  # STINT_GRANT_TYPES switches some off

    async def work(store: SqlClientStore, hasher: SecretHasher, db: Database) -> None:
        owner_id = None
        if owner is not None:
            user = await SqlUserStore(db).by_username_key(username_key(owner))
            if user is None:
                err_console.print(f"[red]error:[/red] no user {owner!r}")
                raise typer.Exit(1)
            owner_id = user.id
        spec = ClientSpec(
            name=name,
            client_type=client_type,
            redirect_uris=tuple(redirect_uri or ()),
            grant_types=frozenset(grant_type) if grant_type else ClientSpec.grant_types,
            scopes=frozenset(scope) if scope else API_SCOPES,
            token_endpoint_auth_method=auth_method,
            opaque_access_tokens=opaque_tokens,
            may_introspect=introspect,
            owner_id=owner_id,
        )
        try:
            client, secret = new_client(spec, hasher, allow_http=allow_http, enabled_grants=enabled)
            # CIBA Core §4, checked as dynamic registration checks it.
            backchannel = backchannel_metadata(
                client.grant_types,
                mode=backchannel_token_delivery_mode,
                notification_endpoint=backchannel_client_notification_endpoint,
                loopback=allow_http,
                user_code=backchannel_user_code_parameter,
                user_codes=settings.ciba_user_codes,
            )
            client = replace(client, metadata={**client.metadata, **backchannel})
        except ClientSpecError as exc:
            for field, problem in exc.problems.items():
                err_console.print(f"[red]error:[/red] {field}: {problem}")
            raise typer.Exit(1) from None
        await store.add(client)
        console.print(f"client_id      {client.client_id}")
        if secret is not None:
            console.print(f"client_secret  {secret}")
            console.print("[yellow]Store the secret now: Stint keeps only its hash.[/yellow]")

    _with_store(work)


@clients_app.command("list")
def list_clients() -> None:
    """List registered clients."""

    async def work(store: SqlClientStore, _hasher: SecretHasher, _db: Database) -> None:
        # However narrow the output, the id stays whole on one line to be copied, and the
        # grants and redirect URIs fold rather than end in an ellipsis.
        table = Table(
            Column("client_id", no_wrap=True),
            "name",
            Column("type", no_wrap=True),
            Column("grants", overflow="fold"),
            Column("redirect URIs", overflow="fold"),
        )
        for client in await store.all():
            table.add_row(
                client.client_id,
                client.name,
                client.client_type.value,
                " ".join(sorted(client.grant_types)),
                " ".join(client.redirect_uris),
            )
        console.print(table)

    _with_store(work)


@clients_app.command("rotate-secret")
def rotate(client_id: str) -> None:
    """Give a confidential client a new secret; the old one stops working."""

    async def work(store: SqlClientStore, hasher: SecretHasher, _db: Database) -> None:
        client = await store.get(client_id)
        if client is None:
            err_console.print(f"[red]error:[/red] no client {client_id!r}")
            raise typer.Exit(1)
        try:
            updated, secret = rotate_secret(client, hasher)
        except ClientSpecError as exc:
            err_console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        await store.update(updated)
        console.print(f"client_secret  {secret}")

    _with_store(work)


@clients_app.command("delete")
def delete(client_id: str) -> None:
    """Delete a client, with every grant and token it holds."""

    async def work(store: SqlClientStore, _hasher: SecretHasher, _db: Database) -> None:
        if not await store.delete(client_id):
            err_console.print(f"[red]error:[/red] no client {client_id!r}")
            raise typer.Exit(1)
        console.print(f"deleted {client_id}")

    _with_store(work)
