"""Mail over SMTP, with the standard library's smtplib in a worker thread.

``STINT_SMTP_URL``: ``smtp://user:pass@host:587?starttls=1`` (STARTTLS, RFC 3207),
``smtps://user:pass@host:465`` (implicit TLS, RFC 8314 §3.3), or ``smtp://host:25`` (a relay
on the same host or network, no TLS).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import anyio.to_thread

from stint.mail import Mail

__all__ = ["SmtpMailer", "SmtpTarget", "parse_smtp_url"]


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)


def parse_smtp_url(url: str) -> SmtpTarget:
    """The SMTP server named by ``url``; ValueError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("the SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("the SMTP URL names no host")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    implicit = parts.scheme == "smtps"
    if implicit and starttls:
        raise ValueError("smtps:// is TLS already: leave out starttls")
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError as exc:
        raise ValueError("the SMTP URL's port is not a number") from exc
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        implicit_tls=implicit,
        starttls=starttls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class SmtpMailer:
    """One connection per mail: mail is rare (sign-up, reset), so nothing is kept open."""

    def __init__(self, target: SmtpTarget, sender: str, *, timeout: float = 10.0) -> None:
        self._target = target
        self._sender = sender
        self._timeout = timeout
        self._limiter = anyio.CapacityLimiter(4)

    async def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2].strip("> "))
        message.set_content(mail.text)
        await anyio.to_thread.run_sync(self._deliver, message, limiter=self._limiter)

    def _deliver(self, message: EmailMessage) -> None:
        target = self._target
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if target.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                target.host, target.port, timeout=self._timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=self._timeout)
        with smtp:
            if target.starttls:
                smtp.starttls(context=context)
            if target.username:
                smtp.login(target.username, target.password)
            smtp.send_message(message)
