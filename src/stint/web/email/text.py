"""Translatable text. Until ``stint.web.i18n`` is on main, ``_`` returns the English text; then
this module becomes ``from stint.web.i18n import _``."""

from __future__ import annotations

__all__ = ["_"]


def _(message: str) -> str:
    return message
