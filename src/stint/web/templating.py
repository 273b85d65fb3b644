"""Server-rendered pages: Jinja2 with autoescaping, never cached, never framed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

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
        self._env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        self.csrf = csrf

    def render(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        token, new_cookie = self.csrf.token(request)
        html = self._env.get_template(template).render(
            csrf_field=CSRF_FIELD, csrf_token=token, **context
        )
        response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
        self.csrf.set_cookie(response, new_cookie)
        return response

    def fragment(self, request: Request, template: str, context: dict[str, Any]) -> Markup:
        """Part of a page another page shows (an /account panel); its forms carry the CSRF
        field of the signed-in browser, whose session needs no new cookie."""
        token, _ = self.csrf.token(request)
        html = self._env.get_template(template).render(
            csrf_field=CSRF_FIELD, csrf_token=token, **context
        )
        return Markup(html)  # noqa: S704 (rendered by the autoescaping environment)
