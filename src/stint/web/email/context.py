"""What the email feature's pages share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stint.accounts.claims import AccountClaims
from stint.accounts.email_links import EmailLinks, LinkPurpose
from stint.accounts.ports import CounterStore, UserStore
from stint.web.email.outbox import Outbox
from stint.web.email.text import _
from stint.web.pages.common import PageContext

__all__ = ["EmailContext", "Limits", "client_ip"]


@dataclass(frozen=True, slots=True)
class Limits:
    signups_per_ip: int
    signup_window_seconds: int
    mails_per_account: int
    mails_per_ip: int
    mail_window_seconds: int


@dataclass(frozen=True, slots=True)
class EmailContext:
    pages: PageContext
    links: EmailLinks
    outbox: Outbox
    claims: AccountClaims
    users: UserStore
    counters: CounterStore
    limits: Limits
    issuer: str
    open_signup: bool
    verify_hours: int
    reset_minutes: int

    async def under_limit(self, key: str, limit: int, window: int) -> bool:
        return await self.counters.increment(key, window) <= limit

    async def mail_allowed_for(self, user_id: int) -> bool:
        limits = self.limits
        key = f"mail:user:{user_id}"
        return await self.under_limit(key, limits.mails_per_account, limits.mail_window_seconds)

    async def mail_allowed_from(self, request: Request) -> bool:
        limits = self.limits
        key = f"mail:ip:{client_ip(request)}"
        return await self.under_limit(key, limits.mails_per_ip, limits.mail_window_seconds)

    async def send_verification(self, user_id: int, username: str, email: str) -> None:
        token = await self.links.issue(LinkPurpose.VERIFY_EMAIL, user_id, email)
        context = {
            "username": username,
            "link": f"{self.issuer}/verify-email?token={token}",
            "hours": self.verify_hours,
        }
        mail = self.outbox.render(
            email, _("Verify your email address for Stint"), "verify_email.txt", context
        )
        await self.outbox.send(mail)

    def message(
        self, request: Request, title: str, message: str, status: int = 200, **extra: Any
    ) -> Response:
        context = {"title": title, "message": message, "status_error": status >= 400, **extra}
        return self.pages.pages.render(request, "email/message.html", context, status)

    def dead_link(self, request: Request) -> Response:
        return self.message(
            request,
            _("This link does not work"),
            _("It was used already, it expired, or it was not copied whole. Ask for a new one."),
            400,
        )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
