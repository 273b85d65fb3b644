"""The home page at /: what this server is, and a signed-in person's timer and totals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from stint.settings import Settings
from stint.storage.activity_store import SqlActivityStore
from stint.storage.time_entry_store import SqlTimeEntryStore
from stint.timetracking.service import TimeTracking
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.pages.home import home_routes

__all__ = ["build", "feature"]


def feature(core: Core, _settings: Settings) -> Feature:
    return build(core)


def build(core: Core, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Feature:
    """The page's timer and totals go through the same domain service as the API's."""
    timetracking = TimeTracking(SqlActivityStore(core.db), SqlTimeEntryStore(core.db), clock=clock)
    return Feature(routes=home_routes(core.pages, timetracking, core.claims))
