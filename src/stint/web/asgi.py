"""The ASGI entry point that uvicorn workers import: ``stint.web.asgi:app_factory``."""

from __future__ import annotations

from starlette.applications import Starlette

from stint.settings import load_settings
from stint.web import access_log
from stint.web.app import create_app

__all__ = ["app_factory"]


def app_factory() -> Starlette:
    # uvicorn configured its loggers before loading the app, in this very worker process.
    access_log.install()
    return create_app(load_settings())
