"""The passkey endpoints' JSON answers: a reason code the page turns into its own words."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse

__all__ = ["failed", "log"]

log = logging.getLogger("stint.passkeys")


def failed(reason: str, status: int = 400) -> JSONResponse:
    """A refusal the page shows in the reader's language (passkeys.js picks the text by
    ``reason`` from the page); nothing about why a check failed reaches the browser."""
    return JSONResponse(
        {"error": reason}, status_code=status, headers={"Cache-Control": "no-store"}
    )
