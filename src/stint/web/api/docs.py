"""The API docs page: Swagger UI 5 (which renders OpenAPI 3.1), from swagger-ui-bundle-v2."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["docs_routes"]

_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Stint API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"""

# Kept in a file of its own, not inline, so the page works under script-src 'self'.
_INIT = """window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
});
"""


# Swagger UI injects inline styles and data: images; scripts stay 'self' only.
_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'"
)


async def docs_page(_request: Request) -> Response:
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": _CSP})


async def docs_init(_request: Request) -> Response:
    return Response(_INIT, media_type="text/javascript")


def docs_routes() -> list[BaseRoute]:
    return [
        Route("/api/docs", docs_page, methods=["GET"]),
        Route("/api/docs/init.js", docs_init, methods=["GET"]),
        Mount("/api/docs/assets", StaticFiles(directory=_ASSETS), name="docs-assets"),
    ]
