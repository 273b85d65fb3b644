"""A real SMTP server for the mail tests (aiosmtpd, in a thread): it keeps what it receives."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from starlette.applications import Starlette

__all__ = ["MailCatcher", "link_in", "link_to", "mail_to", "smtp_server"]

_LINK = re.compile(r"https?://\S+")


class MailCatcher:
    """aiosmtpd's handler: each message, parsed, in ``messages``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.url = ""
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._arrived:
            self.messages.append(parsed)
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, address: str, count: int = 1, timeout: float = 10) -> EmailMessage:
        """The ``count``-th mail to ``address``, once it arrived (from a server in another
        process: woken by the arrival, never by polling)."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.to(address)) >= count, timeout)
        assert arrived, f"no mail {count} to {address}"
        return self.to(address)[count - 1]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def link_in(message: EmailMessage) -> str:
    """The one link of a mail's text."""
    body = message.get_body(("plain",))
    assert body is not None
    links = _LINK.findall(body.get_content())
    assert len(links) == 1, links
    return str(links[0])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[MailCatcher]:
    """``login``: the (username, password) the server's AUTH takes."""
    catcher = MailCatcher()
    options: dict[str, Any] = {}
    if login is not None:

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            given = (data.login.decode(), data.password.decode())
            return AuthResult(success=given == login)

        # Loopback only, in a test: the server takes AUTH without TLS (a wrong login is refused).
        options = {"authenticator": authenticator, "auth_require_tls": False}
    controller = Controller(catcher, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    catcher.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield catcher
    finally:
        controller.stop()


async def mail_to(app: Starlette, mailbox: MailCatcher, address: str) -> list[EmailMessage]:
    """The mails sent to ``address`` once the app's background sending is done."""
    await app.state.email.outbox.settle()
    return mailbox.to(address)


async def link_to(app: Starlette, mailbox: MailCatcher, address: str) -> str:
    """The link of the newest mail to ``address``, as a path."""
    mails = await mail_to(app, mailbox, address)
    assert mails, f"no mail to {address}"
    return link_in(mails[-1]).removeprefix("http://testserver")
