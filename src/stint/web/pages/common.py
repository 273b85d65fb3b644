"""What the pages share: reading forms, the signed-in user, safe redirects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stint.accounts.models import User
from stint.accounts.service import AccountService
from stint.accounts.sessions import Session
from stint.web.csrf import CSRF_FIELD
from stint.web.i18n import _
from stint.web.second_step import PendingSignIn, SecondStep
from stint.web.sessions import SessionManager
from stint.web.templating import Pages

__all__ = [
    "AccountPanel",
    "PageContext",
    "SecondFactorKind",
    "SignInExtra",
    "SignInLink",
    "SignInLinks",
    "login_redirect",
    "read_form",
    "safe_next",
    "to_login",
]


@dataclass(frozen=True, slots=True)
class SignInLink:
    """Another way to sign in, shown on the sign-in page ("Continue with GitHub")."""

    label: str
    url: str  # carries the page's ``next``


# Hooks other features fill in, so the pages show their parts without importing them: the
# sign-in page's other ways to sign in (given the page's ``next``), and /account's panels.
SignInLinks = Callable[[str], Awaitable[list[SignInLink]]]
AccountPanel = Callable[[Request, User], Awaitable[Markup]]
# A part of the sign-in page below its form, given the page's ``next`` ("Sign in with a passkey").
SignInExtra = Callable[[Request, str], Awaitable[Markup]]


@dataclass(frozen=True, slots=True)
class SecondFactorKind:
    """A kind of second factor a feature offers (TOTP, passkeys): whether a person set it up,
    and what ``/login/second-factor`` shows for it (a form; its handler ends the step with
    ``PageContext.second_step.complete``)."""

    name: str
    enrolled: Callable[[int], Awaitable[bool]]
    prompt: Callable[[Request, PendingSignIn], Awaitable[Markup]]


@dataclass(frozen=True, slots=True)
class PageContext:
    pages: Pages
    sessions: SessionManager
    accounts: AccountService
    second_step: SecondStep
    sign_in_links: list[SignInLinks] = field(default_factory=list)
    account_panels: list[AccountPanel] = field(default_factory=list)
    # Pages other features offer to the sign-in (and home) page, by name: "signup",
    # "password_reset" (the email feature), when they are available.
    page_links: dict[str, str] = field(default_factory=dict)
    # Hooks of the second factors: the kinds on offer, and /account/security's sections.
    second_factors: list[SecondFactorKind] = field(default_factory=list)
    security_sections: list[AccountPanel] = field(default_factory=list)
    sign_in_extras: list[SignInExtra] = field(default_factory=list)

    async def other_sign_ins(self, next_url: str) -> list[SignInLink]:
        return [link for source in self.sign_in_links for link in await source(next_url)]

    async def extras(self, request: Request, next_url: str) -> list[Markup]:
        return [await extra(request, next_url) for extra in self.sign_in_extras]

    async def panels(self, request: Request, user: User) -> list[Markup]:
        return [await panel(request, user) for panel in self.account_panels]

    async def sections(self, request: Request, user: User) -> list[Markup]:
        return [await section(request, user) for section in self.security_sections]

    async def second_factors_of(self, user_id: int) -> list[SecondFactorKind]:
        """The kinds of second factor ``user_id`` has set up (none: a password is enough)."""
        return [kind for kind in self.second_factors if await kind.enrolled(user_id)]

    async def signed_in(self, request: Request) -> tuple[Session, User] | None:
        session = await self.sessions.current(request)
        if session is None:
            return None
        user = await self.accounts.active_user(session.user_id)
        return (session, user) if user is not None else None

    def forbidden(self, request: Request, message: str) -> Response:
        return self.pages.render(
            request, "error.html", {"title": _("Request refused"), "message": message}, 403
        )

    def form_expired(self, request: Request) -> Response:
        """403 for a form whose CSRF token is missing or stale."""
        return self.forbidden(request, _("The form expired. Go back, reload and try again."))

    def csrf_ok(self, request: Request, form: dict[str, str]) -> bool:
        return self.pages.csrf.valid(request, form.get(CSRF_FIELD))

    async def signed_in_post(
        self, request: Request, *, login_next: str
    ) -> tuple[dict[str, str], Session, User] | Response:
        """A form POST of a signed-in user, CSRF-checked: (form, session, user), or the answer
        to send instead (403 for a bad token, to sign-in and back to ``login_next`` if needed)."""
        form = await read_form(request)
        if not self.csrf_ok(request, form):
            return self.form_expired(request)
        signed_in = await self.signed_in(request)
        if signed_in is None:
            return to_login(login_next)
        return form, *signed_in


async def read_form(request: Request, limit: int = 65536) -> dict[str, str]:
    """An urlencoded form; the last value wins for repeated fields (browsers never repeat ours)."""
    body = await request.body()
    if len(body) > limit:
        return {}
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def safe_next(value: str | None, default: str = "/account") -> str:
    """Only same-site paths: never an open redirect (RFC 9700 §4.11)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def to_login(next_url: str, **extra: str) -> Response:
    """To the sign-in page, which comes back to ``next_url``; ``extra`` adds to its query."""
    query = urlencode({"next": next_url, **extra}, quote_via=quote)
    return RedirectResponse(f"/login?{query}", status_code=303)


def login_redirect(request: Request) -> Response:
    """To sign in, then back to this very page."""
    return to_login(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
