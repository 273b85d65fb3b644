"""What a request presented to identify its client, as the HTTP adapter read it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClientCredentials"]


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    basic: tuple[str, str] | None = None  # decoded client_secret_basic credentials
    form_client_id: str | None = None
    form_secret: str | None = None
