"""Sending mail: a message, the port that sends it, and its SMTP and log senders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Mail", "Mailer"]


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str  # text/plain, UTF-8


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Hand the mail on; raises OSError (or smtplib.SMTPException) when that failed."""
        ...
