"""Server-rendered pages: Jinja2 with autoescaping, never cached, never framed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
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
        )
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
