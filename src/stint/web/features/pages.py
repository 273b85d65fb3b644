"""The people-facing pages: sign-in, /account, /developer/apps, and their static files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from stint.protocol.clients import grant_types_on
from stint.settings import Settings
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.i18n import LANGUAGES, LanguageMiddleware
from stint.web.pages.account import account_routes
from stint.web.pages.developer import developer_routes
from stint.web.pages.language import language_routes, saved_language
from stint.web.pages.login import login_routes
from stint.web.pages.second_factor import second_factor_routes
from stint.web.pages.security import security_routes

__all__ = ["STATIC", "PagesConfig", "build", "feature"]

STATIC = Path(__file__).parent.parent / "static"


@dataclass(frozen=True, slots=True)
class PagesConfig:
    """The settings the pages read."""

    grant_types: frozenset[str]  # the grants /developer/apps offers
    loopback_urls: bool = False  # outside production, http://127.0.0.1 URLs Stint calls too
    ciba_user_codes: bool = False  # CIBA apps may choose to send user_code

    @classmethod
    def from_settings(cls, settings: Settings) -> PagesConfig:
        return cls(
            grant_types=grant_types_on(settings.grant_types),
            loopback_urls=settings.environment != "production",
            ciba_user_codes=settings.ciba_user_codes,
        )


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, PagesConfig.from_settings(settings))


def build(core: Core, config: PagesConfig) -> Feature:
    return Feature(
        routes=[
            *login_routes(core.pages),
            *second_factor_routes(core.pages),
            *security_routes(core.pages),
            *account_routes(core.pages, core.oauth),
            *developer_routes(
                core.pages,
                core.oauth.clients,
                core.hasher,
                config.grant_types,
                loopback_urls=config.loopback_urls,
                ciba_user_codes=config.ciba_user_codes,
            ),
            *language_routes(core.pages, core.claims),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(LanguageMiddleware, saved=saved_language(core.sessions, core.claims))
        ],
        discovery={"ui_locales_supported": [language.tag for language in LANGUAGES]},
    )
