"""``N_``: marks a text people read (a scope's description) for the translation catalogs.

The core stays free of any language: the pages look the marked text up in the catalog of the
request's language when they show it (stint.web.i18n).
"""

from __future__ import annotations

__all__ = ["N_"]


def N_(message: str) -> str:
    """``message`` unchanged; `make translations` extracts it."""
    return message
