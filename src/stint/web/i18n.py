"""The pages' languages: which one a request gets, its gettext catalog, dates in its style.

The order (issue #13): the OpenID Connect ``ui_locales`` of the request being served
(Core §3.1.2.1), then ``Accept-Language`` (RFC 9110 §12.5.4), then the signed-in person's saved
choice (the standard ``locale`` claim of their profile), then English. Each source counts only
when it names a language Stint speaks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import cast
from urllib.parse import parse_qsl, urlsplit

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.support import LazyProxy, NullTranslations, Translations
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from stint.protocol.texts import Text

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LOCALES_DIR",
    "Language",
    "LanguageMiddleware",
    "SavedLanguage",
    "_",
    "current",
    "format_clock",
    "format_day",
    "format_moment",
    "gettext",
    "language_of",
    "negotiate",
    "ngettext",
    "parse_accept_language",
    "requested_ui_locales",
    "translated",
    "using",
]

LOCALES_DIR = Path(__file__).with_name("locales")


@dataclass(frozen=True, slots=True)
class Language:
    """A language the pages are written in."""

    code: str  # Babel's locale identifier, the catalog's folder name
    tag: str  # BCP 47, as the profile's ``locale`` claim saves it and discovery lists it
    html: str  # the page's ``<html lang>``
    name: str  # in the language itself, for the picker


LANGUAGES: tuple[Language, ...] = (
    Language("en", "en", "en", "English"),
    Language("de", "de", "de", "Deutsch"),
    Language("ja", "ja", "ja", "日本語"),
    Language("ru", "ru", "ru", "Русский"),
    Language("zh_Hans", "zh-CN", "zh-Hans", "简体中文"),
)
DEFAULT = LANGUAGES[0]
_BY_CODE = {language.code: language for language in LANGUAGES}
# Chinese written in traditional characters is not Simplified Chinese: those tags match nothing.
_TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})

_current: ContextVar[Language] = ContextVar("stint_language", default=DEFAULT)


def language_of(tag: str) -> Language | None:
    """The language a BCP 47 tag (or a Babel identifier) asks for, if Stint speaks it."""
    parts = [part.lower() for part in tag.strip().replace("_", "-").split("-") if part]
    if not parts:
        return None
    primary = parts[0]
    if primary == "zh":
        return None if _TRADITIONAL.intersection(parts[1:]) else _BY_CODE["zh_Hans"]
    return _BY_CODE.get(primary)


def parse_accept_language(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first, without q=0 (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and tag.strip() != "*" and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _q, _i, tag in sorted(weighted)]


def _first_supported(tags: Iterable[str]) -> Language | None:
    for tag in tags:
        language = language_of(tag)
        if language is not None:
            return language
    return None


def negotiate(
    ui_locales: Iterable[str], accept_language: str, saved: str | None
) -> Language | None:
    """The language the first two sources give, else the saved one; None: ask for ``saved``."""
    return (
        _first_supported(ui_locales)
        or _first_supported(parse_accept_language(accept_language))
        or (language_of(saved) if saved else None)
    )


def requested_ui_locales(query: str) -> list[str]:
    """``ui_locales`` of this request, or of the authorization request the sign-in page will
    go back to (its ``next``): the sign-in and consent pages an app's request leads to."""
    params = dict(parse_qsl(query))
    if "ui_locales" in params:
        return params["ui_locales"].split()
    next_url = params.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        inner = dict(parse_qsl(urlsplit(next_url).query))
        return inner.get("ui_locales", "").split()
    return []


# The saved choice of whoever is signed in on this request (None: nobody, or no choice).
SavedLanguage = Callable[[Request], Awaitable[str | None]]


_API_PREFIX = "/api/"


class LanguageMiddleware:
    """Sets the language every page and message of this request is in."""

    def __init__(self, app: ASGIApp, saved: SavedLanguage) -> None:
        self.app = app
        self.saved = saved

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The REST API answers in one language (RFC 9457 problem JSON for programs), and its
        # reads are hot paths: it pays nothing for choosing a page language.
        if scope["type"] != "http" or scope["path"].startswith(_API_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        ui_locales = requested_ui_locales(request.url.query)
        accept = request.headers.get("accept-language", "")
        language = negotiate(ui_locales, accept, None)
        if language is None:
            # Only now the database: most browsers send an Accept-Language Stint speaks.
            language = negotiate((), "", await self.saved(request)) or DEFAULT
        token = _current.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


class using:
    """``with using(language):`` messages and pages in that language (tests, mails, CLI)."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def __enter__(self) -> Language:
        self._token = _current.set(self.language)
        return self.language

    def __exit__(self, *_exc: object) -> None:
        _current.reset(self._token)


def current() -> Language:
    """The language of the request being served (English outside one)."""
    return _current.get()


@cache
def _translations(code: str) -> NullTranslations:
    if code == DEFAULT.code:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [code], domain="messages")


def gettext(message: str) -> str:
    return _translations(_current.get().code).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get().code).ungettext(singular, plural, n)


def _(message: str) -> str:
    """A message translated when it is shown, into the language of the request showing it."""
    # A str for its callers: the proxy behaves as one wherever a page formats or prints it.
    return cast(str, LazyProxy(gettext, message, enable_cache=False))


def translated(text: str) -> str:
    """A core's ``Text`` in the current language, its parameters as they are (a ``Text``
    parameter translated too); any other text (a provider's own words) unchanged."""
    if not isinstance(text, Text):
        return text
    template = gettext(text.template)
    if not text.params:
        return template
    return template % {
        name: translated(value) if isinstance(value, Text) else value
        for name, value in text.params.items()
    }


def _locale() -> Locale:
    return Locale.parse(_current.get().code)


def format_moment(value: datetime | None) -> str:
    """A moment as people of the current language write it, in UTC ("December 6, 2026, 4:02 PM
    UTC", "2026年12月6日 16:02 UTC")."""
    if value is None:
        return ""
    moment = value.astimezone(UTC) if value.tzinfo is not None else value
    locale = _locale()
    day = format_date(moment, format="long", locale=locale)
    time = format_time(moment, format="short", locale=locale)
    # CLDR's pattern for a date with a time: {1} the date, {0} the time.
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", day).replace("{0}", time) + " UTC"


def format_clock(value: datetime) -> str:
    """A time of day as people of the current language write it, in UTC ("4:02:11 PM UTC")."""
    moment = value.astimezone(UTC) if value.tzinfo is not None else value
    return format_time(moment, format="medium", locale=_locale()) + " UTC"


def format_day(value: datetime | None, format: str = "long") -> str:
    """A day as people of the current language write it ("6 December 2026", "2026年12月6日")."""
    if value is None:
        return ""
    return format_date(value, format=format, locale=_locale())
