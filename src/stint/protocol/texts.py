"""``N_`` and ``Text``: texts people read (a scope's description, why a client's settings are
refused), marked for the translation catalogs.

The core stays free of any language: the pages look the marked text up in the catalog of the
request's language when they show it (stint.web.i18n); logs, the command line and JSON answers
use the English.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["N_", "Text"]


def N_(message: str) -> str:
    """``message`` unchanged; `make translations` extracts it."""
    return message


class Text(str):
    """A text in English (a ``str`` wherever it goes) that keeps its catalog template and named
    parameters, so a page can show it in another language: ``Text(N_("at most %(count)d"),
    count=20)``. Parameters (a URI, a provider's error code) are shown as they are."""

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, /, **params: object) -> Text:
        # Without parameters the template is the text: a '%' in it stays as written.
        text = super().__new__(cls, template % params if params else template)
        text.template = template
        text.params = params
        return text
