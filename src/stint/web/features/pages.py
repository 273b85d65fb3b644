"""The people-facing pages: sign-in, /account, /developer/apps, and their static files.

They read no settings: every value they need comes from the core.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from stint.settings import Settings
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.pages.account import account_routes
from stint.web.pages.developer import developer_routes
from stint.web.pages.login import login_routes

__all__ = ["STATIC", "feature"]

STATIC = Path(__file__).parent.parent / "static"


def feature(core: Core, _settings: Settings) -> Feature:
    return Feature(
        routes=[
            *login_routes(core.pages),
            *account_routes(core.pages, core.oauth),
            *developer_routes(core.pages, core.oauth.clients, core.hasher),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )
