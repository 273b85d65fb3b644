"""Translatable text: the pages' lazy gettext (stint.web.i18n)."""

from __future__ import annotations

from stint.web.i18n import _

__all__ = ["_"]
