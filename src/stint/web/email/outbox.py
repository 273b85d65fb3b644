"""Mails rendered from translatable templates and sent in the background, so a page answers as
fast whether a mail was sent or not (no account enumeration by timing)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from stint.mail import Mail, Mailer
from stint.web import i18n

__all__ = ["Outbox"]

_log = logging.getLogger("stint.mail")
TEMPLATES = Path(__file__).parent.parent / "templates" / "mail"


class Outbox:
    """``mailer`` None: this server cannot send mail (production without STINT_SMTP_URL)."""

    def __init__(self, mailer: Mailer | None) -> None:
        self.mailer = mailer
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=False,  # noqa: S701 (text/plain mail: nothing is HTML)
            auto_reload=False,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
        )
        # In the language of the request that sends the mail (stint.web.i18n).
        self._env.policies["ext.i18n.trimmed"] = True
        self._env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
        )
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def available(self) -> bool:
        return self.mailer is not None

    def render(self, to: str, subject: str, template: str, context: dict[str, Any]) -> Mail:
        text = self._env.get_template(template).render(context)
        return Mail(to=to, subject=str(subject), text=text)  # a lazy subject, in words now

    async def send(self, mail: Mail) -> bool:
        """Send now; False (logged, without the text: it holds a link) when it failed."""
        if self.mailer is None:
            return False
        try:
            await self.mailer.send(mail)
        except Exception:  # a mail server down must not break the page that sent it
            _log.exception("sending a mail failed (subject %r)", mail.subject)
            return False
        return True

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background (keeping a reference, so it is not collected)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the background work (tests; shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
