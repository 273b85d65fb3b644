"""Server-rendered pages: Jinja2 with autoescaping, never cached, never framed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from stint.web import i18n
from stint.web.csrf import CSRF_FIELD, CsrfProtection

__all__ = ["Pages"]

TEMPLATES = Path(__file__).with_name("templates")


class Pages:
    def __init__(self, csrf: CsrfProtection) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True),
            auto_reload=False,
            extensions=["jinja2.ext.i18n"],
        )
        # Line breaks inside {% trans %} are layout, not part of the message (babel.cfg agrees).
        self._env.policies["ext.i18n.trimmed"] = True
        # The catalog of the request's language (stint.web.i18n), looked up when a page renders.
        self._env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
        )
        self._env.filters["moment"] = i18n.format_moment
        self._env.filters["day"] = i18n.format_day
        self.csrf = csrf

    def render(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        token, new_cookie = self.csrf.token(request)
        html = self._env.get_template(template).render(
            csrf_field=CSRF_FIELD, csrf_token=token, **_language_context(request), **context
        )
        response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
        self.csrf.set_cookie(response, new_cookie)
        return response

    def fragment(self, request: Request, template: str, context: dict[str, Any]) -> Markup:
        """Part of a page another page shows (an /account panel); its forms carry the CSRF
        field of the signed-in browser, whose session needs no new cookie."""
        token, _ = self.csrf.token(request)
        html = self._env.get_template(template).render(
            csrf_field=CSRF_FIELD, csrf_token=token, **_language_context(request), **context
        )
        return Markup(html)  # noqa: S704 (rendered by the autoescaping environment)


def _language_context(request: Request) -> dict[str, Any]:
    """What every page knows of its language: ``<html lang>``, the picker's choices, and the
    page the picker comes back to."""
    return {
        "language": i18n.current(),
        "languages": i18n.LANGUAGES,
        "request_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
