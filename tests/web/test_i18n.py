"""The languages' machinery: negotiation, lazy messages, and catalogs that are complete, compiled
and in step with the code (`make translations`)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from stint.web import i18n
from stint.web.i18n import LANGUAGES, LOCALES_DIR, _, language_of, negotiate, using

ROOT = Path(__file__).parents[2]
SOURCES = ROOT / "src" / "stint"
TEMPLATES = SOURCES / "web" / "templates"
TRANSLATED = [language for language in LANGUAGES if language.code != "en"]
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
_TAG = re.compile(r"</?\w+[^>]*>")


def catalog(code: str) -> Catalog:
    with (LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=code)


def extracted() -> dict[str, list[str]]:
    """Every message the code and the templates mark, with where each is."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: dict[str, list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        SOURCES, method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, []).append(f"src/stint/{filename}:{line}")
    return found


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.code)
def test_the_compiled_catalog_is_the_catalog_compiled(language: i18n.Language) -> None:
    """A .po changed without `make translations` leaves a stale .mo: the server would show
    the old words."""
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language.code))
    mo = LOCALES_DIR / language.code / "LC_MESSAGES" / "messages.mo"
    assert mo.read_bytes() == compiled.getvalue(), f"run `make translations` ({mo})"


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.code)
def test_every_message_is_translated_with_its_placeholders_and_markup(
    language: i18n.Language,
) -> None:
    problems = []
    for message in catalog(language.code):
        if not message.id:
            continue
        if not message.string or not all(message.string) or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
            continue
        # %(name)s must survive, and so must the markup a message carries (<strong>, <a href>);
        # a plural's every form (Japanese and Chinese have one, Russian three).
        source = message.id if isinstance(message.id, str) else message.id[0]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        for form in forms:
            if set(_PLACEHOLDER.findall(source)) != set(_PLACEHOLDER.findall(form)):
                problems.append(f"placeholders differ: {source!r} -> {form!r}")
            if sorted(_TAG.findall(source)) != sorted(_TAG.findall(form)):
                problems.append(f"markup differs: {source!r} -> {form!r}")
    assert problems == [], "\n".join(problems)


def test_the_catalogs_hold_exactly_the_messages_of_the_code() -> None:
    """A new string in a template or a page (or one removed) fails here with its place: run
    `make translations` and translate it."""
    in_code = extracted()
    assert len(in_code) > 200  # the extraction found the pages' messages
    for language in TRANSLATED:
        in_catalog = {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in catalog(language.code)
            if message.id
        }
        missing = [
            f"{places[0]}: {key!r}" for key, places in in_code.items() if key not in in_catalog
        ]
        stale = [repr(key) for key in in_catalog if key not in in_code]
        assert missing == [], f"{language.code}: not in the catalog:\n" + "\n".join(missing)
        assert stale == [], f"{language.code}: no longer in the code:\n" + "\n".join(stale)


class _Literals(HTMLParser):
    """Text with letters outside {% trans %} and {{ _() }}: a sentence nobody translates."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self._check(value)

    def handle_data(self, data: str) -> None:
        self._check(data)

    def _check(self, text: str) -> None:
        # A macro that writes attributes (aria-invalid="true") writes no words.
        text = re.sub(r'[\w-]+="[^"]*"', "", text)
        words = [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in _AS_IS]
        if words:
            self.found.append((self.getpos()[0], " ".join(text.split())))


# The product's name, the token format's name, the device code's shape.
_AS_IS = {"Stint", "JWT", "XXXX"}
_JINJA = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}|{{.*?}}|{%.*?%}|{#.*?#}", re.S)


def _blanked(source: str) -> str:
    """The template with its Jinja parts blanked out, line numbers kept."""
    return _JINJA.sub(lambda m: "\n" * m.group(0).count("\n"), source)


def test_no_template_has_an_untranslated_literal() -> None:
    literals = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        parser = _Literals()
        parser.feed(_blanked(template.read_text()))
        name = template.relative_to(ROOT)
        literals += [f"{name}:{line}: {text}" for line, text in parser.found]
    assert literals == [], "\n".join(literals)


def test_the_literal_check_finds_a_sentence_left_in_english() -> None:
    parser = _Literals()
    parser.feed(_blanked('<p>{% trans %}Fine{% endtrans %}</p>\n<p title="Hover text">{{ x }}'))
    parser.feed("</p><button>Save</button>")
    assert [text for _line, text in parser.found] == ["Hover text", "Save"]


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("JA-jp", "ja"),
        ("ru_RU", "ru"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-Hans-SG", "zh_Hans"),
        ("zh-Hant", None),
        ("zh-TW", None),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
    ],
)
def test_a_tag_names_a_language_stint_speaks_or_none(tag: str, code: str | None) -> None:
    found = language_of(tag)
    assert (found.code if found else None) == code


def test_ui_locales_come_first_then_accept_language_then_the_saved_choice() -> None:
    def picked(ui: list[str], accept: str, saved: str | None) -> str | None:
        found = negotiate(ui, accept, saved)
        return found.code if found else None

    assert picked(["fr", "ja"], "de", "ru") == "ja"
    assert picked(["fr"], "fr, de;q=0.5", "ru") == "de"
    assert picked([], "fr", "ru") == "ru"
    assert picked([], "", "zh-CN") == "zh_Hans"
    assert picked([], "*", None) is None  # English, the default


def test_ui_locales_are_read_from_the_authorization_request_a_sign_in_returns_to() -> None:
    next_url = "/o/authorize/?client_id=a&ui_locales=ja+de&scope=openid"
    assert i18n.requested_ui_locales(f"next={next_url.replace('&', '%26')}") == [
        "ja",
        "de",
    ]
    assert i18n.requested_ui_locales("next=//evil/?ui_locales=ja") == []
    assert i18n.requested_ui_locales("ui_locales=ru") == ["ru"]


LATER = _("Sign in")  # marked when the module loads, translated when shown


def test_a_lazy_message_is_in_the_language_of_whoever_shows_it() -> None:
    assert str(LATER) == "Sign in"
    with using(language_of("de") or LANGUAGES[0]):
        assert str(LATER) == "Anmelden"
        assert f"{LATER}!" == "Anmelden!"
    with using(language_of("zh-CN") or LANGUAGES[0]):
        assert str(LATER) == "登录"
