"""TOTP (RFC 6238) as a second factor: its routes, its /account/security section, and its
place among the kinds of second factor the sign-in's second step offers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from markupsafe import Markup
from starlette.requests import Request

from stint.accounts.models import User
from stint.accounts.second_factor import TotpService, TotpStore
from stint.settings import Settings
from stint.storage.totp_store import SqlTotpStore
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.pages.totp import totp_kind, totp_routes, totp_section

__all__ = ["build", "feature"]


def feature(core: Core, settings: Settings) -> Feature:
    return build(core)


def build(
    core: Core,
    *,
    store: TotpStore | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Feature:
    """``store``: where secrets and recovery codes live (default: the core's database);
    ``clock``: the time codes are checked at (tests move it a time-step on)."""
    store = store or SqlTotpStore(core.db, core.secret)
    totp = TotpService(store, core.counters, core.hasher, clock=clock)
    ctx = core.pages
    ctx.second_factors.append(totp_kind(ctx, totp))

    async def section(request: Request, user: User) -> Markup:
        return await totp_section(ctx, totp, request, user)

    ctx.security_sections.append(section)
    return Feature(routes=totp_routes(ctx, totp), state={"totp": totp})
