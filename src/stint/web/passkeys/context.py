"""What the passkey pages share: the ceremonies and the pages' context."""

from __future__ import annotations

from dataclasses import dataclass

from stint.accounts.webauthn import WebAuthnCeremonies
from stint.web.pages.common import PageContext

__all__ = ["PasskeyContext"]


@dataclass(frozen=True, slots=True)
class PasskeyContext:
    pages: PageContext
    ceremonies: WebAuthnCeremonies
