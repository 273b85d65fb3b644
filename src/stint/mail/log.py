"""Mail written to the log instead of sent: development without SMTP, so a newcomer can click
the link in the terminal."""

from __future__ import annotations

import logging

from stint.mail import Mail

__all__ = ["LogMailer"]

_log = logging.getLogger("stint.mail")


class LogMailer:
    async def send(self, mail: Mail) -> None:
        _log.warning(
            "No SMTP server is configured (STINT_SMTP_URL): this mail was not sent.\n"
            "To: %s\nSubject: %s\n\n%s",
            mail.to,
            mail.subject,
            mail.text,
        )
