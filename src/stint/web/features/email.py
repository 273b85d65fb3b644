"""Sign-up at /signup, email verification and password reset by mail (issue #13)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.routing import BaseRoute

from stint.accounts.email_links import EmailLinks, EmailLinkStore, LinkPurpose
from stint.mail import Mailer
from stint.mail.log import LogMailer
from stint.mail.smtp import SmtpMailer, parse_smtp_url
from stint.settings import Settings
from stint.storage.email_link_store import SqlEmailLinkStore
from stint.storage.user_store import SqlUserStore
from stint.web.core import Core
from stint.web.email.context import EmailContext, Limits
from stint.web.email.outbox import Outbox
from stint.web.email.panel import email_panel, panel_routes
from stint.web.email.reset import reset_routes
from stint.web.email.signup import signup_routes
from stint.web.email.verify import verify_routes
from stint.web.features import Feature

__all__ = ["EmailConfig", "build", "feature"]

_log = logging.getLogger("stint.mail")


@dataclass(frozen=True)
class EmailConfig:
    """The settings sign-up and mail read."""

    open_signup: bool = True
    smtp_url: str = field(default="", repr=False)
    mail_from: str = "Stint <no-reply@localhost>"
    log_mail: bool = True  # no SMTP: write mails to the log (not in production)
    verify_seconds: int = 86400
    reset_seconds: int = 3600
    limits: Limits = field(default_factory=lambda: Limits(10, 3600, 5, 20, 3600))
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailConfig:
        return cls(
            open_signup=settings.open_signup,
            smtp_url=settings.smtp_url,
            mail_from=settings.effective_mail_from,
            log_mail=settings.environment != "production",
            verify_seconds=settings.email_verification_ttl_seconds,
            reset_seconds=settings.password_reset_ttl_seconds,
            limits=Limits(
                signups_per_ip=settings.signups_per_ip,
                signup_window_seconds=settings.signup_window_seconds,
                mails_per_account=settings.mails_per_account,
                mails_per_ip=settings.mails_per_ip,
                mail_window_seconds=settings.mail_window_seconds,
            ),
        )

    def mailer(self) -> Mailer | None:
        if self.smtp_url:
            return SmtpMailer(
                parse_smtp_url(self.smtp_url), self.mail_from, timeout=self.timeout_seconds
            )
        return LogMailer() if self.log_mail else None


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, EmailConfig.from_settings(settings))


def build(
    core: Core,
    config: EmailConfig,
    *,
    mailer: Mailer | None = None,
    store: EmailLinkStore | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Feature:
    """``mailer``: tests give one that keeps the mails; ``clock``: the links' time."""
    outbox = Outbox(mailer or config.mailer())
    links = EmailLinks(
        store or SqlEmailLinkStore(core.db),
        core.hasher,
        ttl={
            LinkPurpose.VERIFY_EMAIL: timedelta(seconds=config.verify_seconds),
            LinkPurpose.RESET_PASSWORD: timedelta(seconds=config.reset_seconds),
        },
        clock=clock,
    )
    email = EmailContext(
        pages=core.pages,
        links=links,
        outbox=outbox,
        claims=core.claims,
        users=SqlUserStore(core.db, core.revocation_log),
        counters=core.counters,
        limits=config.limits,
        issuer=core.issuer,
        open_signup=config.open_signup,
        verify_hours=config.verify_seconds // 3600,
        reset_minutes=config.reset_seconds // 60,
    )
    if config.open_signup:
        core.pages.page_links["signup"] = "/signup"
    if outbox.available:
        core.pages.page_links["password_reset"] = "/password-reset"  # noqa: S105 (a path)
    core.pages.account_panels.append(lambda request, user: email_panel(email, request, user))

    async def say_if_no_mail() -> None:
        if not outbox.available:
            _log.warning(
                "STINT_SMTP_URL is not set: no mail is sent, so email verification and "
                "password reset are not available"
            )

    routes: list[BaseRoute] = [
        *signup_routes(email),
        *verify_routes(email),
        *reset_routes(email),
        *panel_routes(email),
    ]
    return Feature(
        routes=routes, on_start=[say_if_no_mail], on_stop=[outbox.settle], state={"email": email}
    )
