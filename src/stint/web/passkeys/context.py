"""What the passkey pages share: the ceremonies and the pages' context."""

from __future__ import annotations

from dataclasses import dataclass

from stint.accounts.ports import CounterStore
from stint.accounts.webauthn import WebAuthnCeremonies
from stint.web.pages.common import PageContext

__all__ = ["PasskeyContext"]


@dataclass(frozen=True, slots=True)
class PasskeyContext:
    pages: PageContext
    ceremonies: WebAuthnCeremonies
    counters: CounterStore  # shared by every worker: challenges handed out per address
    challenges_per_address: int = 30  # in CHALLENGE_SECONDS, for sign-ins with no account yet
