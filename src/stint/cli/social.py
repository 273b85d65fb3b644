"""`stint social add | list | remove`: upstream sign-in providers, for operators.

Providers added here live in the database (client secret sealed under the instance secret) and
reach every running server within seconds; those in stint.toml (``[social.NAME]``) are listed
too, and win over one added here with the same name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Column, Table

from stint.cli.common import console, err_console, migrated_database, settings_or_exit
from stint.connectors.config import ProviderConfig
from stint.connectors.registry import BUILT_IN, UnknownBackendError, backend_class
from stint.settings import PROVIDER_NAME, Settings, read_or_create_secret
from stint.storage.database import Database
from stint.storage.upstream_provider_store import SqlUpstreamProviderStore

__all__ = ["social_app"]

T = TypeVar("T")
social_app = typer.Typer(help="Manage upstream sign-in providers.", no_args_is_help=True)


def _with_store(settings: Settings, work: Callable[[SqlUpstreamProviderStore], Awaitable[T]]) -> T:
    async def go() -> T:
        db: Database
        async with migrated_database(settings) as db:
            return await work(SqlUpstreamProviderStore(db, read_or_create_secret(settings)))

    return asyncio.run(go())


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(1)


def _options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _fail(f"--option {pair!r}: write KEY=VALUE")
        options[key.strip()] = value
    return options


@social_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="In the URLs: /login/NAME/, /complete/NAME/")],
    backend: Annotated[
        str, typer.Option(help=f"{'|'.join(BUILT_IN)}, or a dotted path to a backend class")
    ],
    client_id: Annotated[str, typer.Option(help="The client id the provider gave you")],
    client_secret: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, help="Asked for when not given; stored sealed"),
    ],
    issuer: Annotated[str, typer.Option(help="An OpenID provider's issuer URL")] = "",
    scope: Annotated[list[str] | None, typer.Option(help="Beyond the backend's; repeat")] = None,
    label: Annotated[str, typer.Option(help='"Continue with LABEL" on the sign-in page')] = "",
    auto_link_email: Annotated[
        bool, typer.Option(help="Link to the account with the same verified email")
    ] = False,
    store_tokens: Annotated[bool, typer.Option(help="Keep upstream tokens, sealed")] = False,
    allow_sign_up: Annotated[
        bool, typer.Option(help="A new person gets a new Stint account")
    ] = True,
    option: Annotated[
        list[str] | None, typer.Option(help="A backend setting KEY=VALUE; repeat")
    ] = None,
) -> None:
    """Add (or replace) a provider people can sign in with."""
    settings = settings_or_exit()
    if not PROVIDER_NAME.fullmatch(name):
        raise _fail(f"provider name {name!r}: use a-z, 0-9, - and _ (it is in URLs)")
    if name in settings.social:
        raise _fail(f"{name!r} is configured in stint.toml ([social.{name}]); change it there")
    try:
        backend_class(backend)
    except UnknownBackendError as exc:
        raise _fail(str(exc)) from None
    config = ProviderConfig(
        name=name,
        backend=backend,
        client_id=client_id,
        client_secret=client_secret,
        issuer=issuer.rstrip("/"),
        scope=tuple(scope or ()),
        label=label,
        auto_link_email=auto_link_email,
        store_tokens=store_tokens,
        allow_sign_up=allow_sign_up,
        options=_options(option or []),
    )
    _with_store(settings, lambda store: store.add(config, replace=True))
    console.print(f"added {name} ({backend})")
    console.print(f"register this redirect URI at the provider: {_redirect_uri(settings, name)}")


@social_app.command("list")
def list_providers() -> None:
    """List the providers, with the redirect URI to register at each (never their secrets)."""
    settings = settings_or_exit()
    added = _with_store(settings, lambda store: store.list_all())
    table = Table(
        Column("name", no_wrap=True),
        "backend",
        Column("client_id", overflow="fold"),
        "from",
    )
    rows = [(p, "stint.toml") for p in (s.to_config(n) for n, s in settings.social.items())]
    rows += [(p, "database") for p in added if p.name not in settings.social]
    for provider, source in sorted(rows, key=lambda row: row[0].name):
        table.add_row(
            provider.name,
            provider.backend,
            provider.client_id,
            source,
        )
    console.print(table)
    # One line each, never wrapped by the terminal's width: the operator copies them upstream.
    for provider, _source in sorted(rows, key=lambda row: row[0].name):
        console.print(
            f"{provider.name}: redirect URI {_redirect_uri(settings, provider.name)}",
            soft_wrap=True,
        )


@social_app.command("remove")
def remove(name: str) -> None:
    """Remove a provider added with `stint social add`; people linked to it keep their
    accounts, and sign in another way."""
    settings = settings_or_exit()
    if not _with_store(settings, lambda store: store.remove(name)):
        hint = " (it is in stint.toml: remove it there)" if name in settings.social else ""
        raise _fail(f"no provider {name!r} was added with `stint social add`{hint}")
    console.print(f"removed {name}")


def _redirect_uri(settings: Settings, name: str) -> str:
    return f"{settings.effective_issuer}/complete/{name}/"
