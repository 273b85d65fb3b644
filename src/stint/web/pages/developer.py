"""/developer/apps: register OAuth clients, change them, rotate their secrets, delete them.

Only the owner sees or changes an app: another user's app answers 404, as a missing one does.
A secret is shown once, on the page that answers its creation; only its hash is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.protocol.ciba import GRANT_TYPE as CIBA_GRANT
from stint.protocol.ciba.client_options import backchannel_metadata, without_backchannel
from stint.protocol.clients import GRANT_TYPES, Client
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.ports import ClientRegistry
from stint.protocol.registration import (
    DEFAULT_GRANTS,
    OPERATOR_ONLY_GRANTS,
    ClientSpec,
    ClientSpecError,
    new_client,
    rotate_secret,
    updated_client,
)
from stint.protocol.scopes import API_SCOPES, SCOPE_DESCRIPTIONS
from stint.protocol.secrets import SecretHasher
from stint.web.i18n import _, gettext, translated
from stint.web.pages.common import PageContext, login_redirect

__all__ = ["GRANT_CHOICES", "MAX_APPS_PER_USER", "developer_routes"]

MAX_APPS_PER_USER = 50
_CONFIDENTIAL_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True, slots=True)
class GrantChoice:
    value: str
    label: str
    help: str
    legacy: bool = False


# The password grant is not among them: only an operator gives it (RFC 9700 §2.4).
GRANT_CHOICES = (
    GrantChoice(
        "authorization_code",
        _("Authorization code"),
        _("Users sign in to Stint and approve your app (with PKCE)."),
    ),
    GrantChoice(
        "refresh_token", _("Refresh token"), _("Keep access without asking the user again.")
    ),
    GrantChoice(
        "client_credentials",
        _("Client credentials"),
        _("Your app acts as you, with no user present. Confidential apps only."),
    ),
    GrantChoice(
        DEVICE_CODE_GRANT,
        _("Device code"),
        _(
            "For a device without a browser or keyboard (a TV, a command-line timer): it shows a"
            " code, and the user approves at /device on their phone or computer (RFC 8628)."
        ),
    ),
    GrantChoice(
        CIBA_GRANT,
        _("Backchannel authentication (CIBA)"),
        _(
            "Your app asks a person to approve on Stint's /approve page, from a till, a call"
            " centre or a device without a browser. Confidential apps only; choose how tokens"
            " reach it below."
        ),
    ),
    GrantChoice(
        "implicit",
        _("Implicit"),
        _("Access tokens in the browser's address bar. Avoid it (RFC 9700)."),
        legacy=True,
    ),
)
NOTICES = {
    "saved": _("Your changes were saved."),
    "deleted": _("The app was deleted, together with every authorization users gave it."),
}


@dataclass(frozen=True, slots=True)
class AppForm:
    """What the registration and edit forms hold, as submitted (or the app's current values)."""

    name: str = ""
    client_type: str = "confidential"
    redirect_uris: str = ""
    grant_types: frozenset[str] = DEFAULT_GRANTS
    scopes: frozenset[str] = API_SCOPES
    access_format: str = "jwt"
    auth_method: str = "client_secret_basic"
    operator_grants: frozenset[str] = frozenset()  # shown, kept, not changeable here
    # CIBA Core §4: how tokens reach the app (poll, ping, push), and where it is called back.
    backchannel_mode: str = ""
    backchannel_endpoint: str = ""
    backchannel_user_code: bool = False  # §7.1: the app sends the person's code as user_code

    @classmethod
    def submitted(
        cls, form: dict[str, str], choices: Sequence[GrantChoice], *, app: Client | None = None
    ) -> AppForm:
        """What was posted; for an existing ``app``, its type and operator-given grants stay."""
        return cls(
            name=form.get("name", "")[:200],
            client_type=app.client_type.value if app else form.get("client_type", ""),
            redirect_uris=form.get("redirect_uris", "")[:20_000],
            grant_types=frozenset(c.value for c in choices if form.get(f"grant_{c.value}") == "on"),
            operator_grants=app.grant_types & OPERATOR_ONLY_GRANTS if app else frozenset(),
            scopes=frozenset(s for s in SCOPE_DESCRIPTIONS if form.get(f"scope_{s}") == "on"),
            access_format=form.get("token_format", "jwt"),
            auth_method=form.get("auth_method", "client_secret_basic"),
            backchannel_mode=form.get("backchannel_token_delivery_mode", "")[:16],
            backchannel_endpoint=form.get("backchannel_client_notification_endpoint", "")[:2000],
            backchannel_user_code=form.get("backchannel_user_code_parameter") == "on",
        )

    @classmethod
    def of(cls, client: Client) -> AppForm:
        return cls(
            name=client.name,
            client_type=client.client_type.value,
            redirect_uris="\n".join(client.redirect_uris),
            grant_types=client.grant_types,
            scopes=client.scopes,
            access_format="opaque" if client.opaque_access_tokens else "jwt",
            auth_method=client.token_endpoint_auth_method,
            operator_grants=client.grant_types & OPERATOR_ONLY_GRANTS,
            backchannel_mode=client.meta("backchannel_token_delivery_mode") or "",
            backchannel_endpoint=client.meta("backchannel_client_notification_endpoint") or "",
            backchannel_user_code=client.meta("backchannel_user_code_parameter") is True,
        )

    def spec(self, owner: User) -> ClientSpec:
        public = self.client_type == "public"
        return ClientSpec(
            name=self.name,
            client_type=self.client_type,
            redirect_uris=tuple(
                line.strip() for line in self.redirect_uris.splitlines() if line.strip()
            ),
            grant_types=self.grant_types | self.operator_grants,
            scopes=self.scopes,
            token_endpoint_auth_method=None if public else self.auth_method,
            opaque_access_tokens=self.access_format == "opaque",
            owner_id=owner.id,
        )

    def with_backchannel(
        self, client: Client, *, loopback: bool, user_codes: bool = False
    ) -> Client:
        """``client`` with the CIBA settings of this form (none without the CIBA grant),
        checked as dynamic registration checks them; ClientSpecError if they do not fit."""
        kept = without_backchannel(client.metadata)
        if CIBA_GRANT not in client.grant_types:
            return replace(client, metadata=kept)
        chosen = backchannel_metadata(
            client.grant_types,
            mode=self.backchannel_mode.strip(),
            notification_endpoint=self.backchannel_endpoint.strip(),
            loopback=loopback,
            user_code=self.backchannel_user_code,
            user_codes=user_codes,
        )
        return replace(client, metadata={**kept, **chosen})

    def problems(self) -> dict[str, str]:
        """What ClientSpec does not check because the form, not the spec, holds it."""
        if self.access_format not in ("jwt", "opaque"):
            return {"token_format": gettext("must be JWT or opaque")}
        return {}


def developer_routes(
    ctx: PageContext,
    clients: ClientRegistry,
    hasher: SecretHasher,
    grant_types: frozenset[str] = GRANT_TYPES,
    *,
    loopback_urls: bool = False,  # outside production: a CIBA app on this host may use http
    ciba_user_codes: bool = False,  # CIBA apps may send user_code (STINT_CIBA_USER_CODE)
) -> list[BaseRoute]:
    # Only the grants switched on (clients.grant_types_on) are offered, and accepted.
    choices = [c for c in GRANT_CHOICES if c.value in grant_types]

    def not_found(request: Request, user: User) -> Response:
        context = {
            "title": _("No such app"),
            "message": _("There is no app with this id among your apps."),
            "user": user,
        }
        return ctx.pages.render(request, "error.html", context, 404)

    def form_context(form: AppForm, errors: dict[str, str]) -> dict[str, Any]:
        return {
            "form": form,
            "errors": errors,
            "grant_choices": choices,
            "scope_choices": [(s, _(d)) for s, d in sorted(SCOPE_DESCRIPTIONS.items())],
            "auth_methods": _CONFIDENTIAL_METHODS,
            "ciba_grant": CIBA_GRANT if any(c.value == CIBA_GRANT for c in choices) else None,
            "ciba_user_codes": ciba_user_codes,
        }

    def new_page(
        request: Request, user: User, form: AppForm, errors: dict[str, str], status: int = 200
    ) -> Response:
        context = {"user": user, **form_context(form, errors)}
        return ctx.pages.render(request, "developer_app_new.html", context, status)

    def app_page(
        request: Request,
        user: User,
        client: Client,
        form: AppForm | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        context = {
            "user": user,
            "app": client,
            "created": client.created_at,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
            **form_context(form or AppForm.of(client), errors or {}),
        }
        return ctx.pages.render(request, "developer_app.html", context, status)

    def secret_page(
        request: Request, user: User, client: Client, secret: str | None, *, created: bool
    ) -> Response:
        context = {"user": user, "app": client, "secret": secret, "created": created}
        return ctx.pages.render(request, "developer_secret.html", context, 201 if created else 200)

    async def owned(request: Request, user: User) -> Client | None:
        client = await clients.get(request.path_params["client_id"])
        if client is None or client.owner_id is None or client.owner_id != user.id:
            return None
        return client

    async def list_apps(request: Request) -> Response:
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            return login_redirect(request)
        user = signed_in[1]
        context = {
            "user": user,
            "apps": [(c, c.created_at) for c in await clients.by_owner(user.id)],
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        }
        return ctx.pages.render(request, "developer_apps.html", context)

    async def new_app_form(request: Request) -> Response:
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            return login_redirect(request)
        blank = AppForm(grant_types=DEFAULT_GRANTS & grant_types)
        return new_page(request, signed_in[1], blank, {})

    async def create_app(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/developer/apps/new")
        if isinstance(checked, Response):
            return checked
        form, _session, user = checked
        submitted = AppForm.submitted(form, choices)
        if len(await clients.by_owner(user.id)) >= MAX_APPS_PER_USER:
            errors = {
                "name": gettext("you already have %(count)d apps; delete one first")
                % {"count": MAX_APPS_PER_USER}
            }
            return new_page(request, user, submitted, errors, 400)
        try:
            if problems := submitted.problems():
                raise ClientSpecError(problems)
            client, secret = new_client(submitted.spec(user), hasher, enabled_grants=grant_types)
            client = submitted.with_backchannel(
                client, loopback=loopback_urls, user_codes=ciba_user_codes
            )
        except ClientSpecError as exc:
            return new_page(request, user, submitted, _shown(exc), 400)
        client = await clients.add(client)
        return secret_page(request, user, client, secret, created=True)

    async def show_app(request: Request) -> Response:
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            return login_redirect(request)
        user = signed_in[1]
        client = await owned(request, user)
        if client is None:
            return not_found(request, user)
        return app_page(request, user, client)

    async def owned_post(request: Request) -> tuple[dict[str, str], User, Client] | Response:
        """A POST about one of the user's apps: CSRF checked, signed in, the app theirs."""
        checked = await ctx.signed_in_post(request, login_next="/developer/apps")
        if isinstance(checked, Response):
            return checked
        form, _session, user = checked
        client = await owned(request, user)
        if client is None:
            return not_found(request, user)
        return form, user, client

    async def update_app(request: Request) -> Response:
        checked = await owned_post(request)
        if isinstance(checked, Response):
            return checked
        form, user, client = checked
        submitted = AppForm.submitted(form, choices, app=client)
        try:
            if problems := submitted.problems():
                raise ClientSpecError(problems)
            changed = updated_client(client, submitted.spec(user), enabled_grants=grant_types)
            changed = submitted.with_backchannel(
                changed, loopback=loopback_urls, user_codes=ciba_user_codes
            )
        except ClientSpecError as exc:
            return app_page(request, user, client, submitted, _shown(exc), 400)
        await clients.update(changed)
        return RedirectResponse(_app_url(client, "?notice=saved"), status_code=303)

    async def rotate(request: Request) -> Response:
        checked = await owned_post(request)
        if isinstance(checked, Response):
            return checked
        _form, user, client = checked
        try:
            rotated, secret = rotate_secret(client, hasher)
        except ClientSpecError:
            context = {
                "title": _("Public apps have no secret"),
                "message": _("A public app cannot keep a secret, so it has none to rotate."),
                "user": user,
            }
            return ctx.pages.render(request, "error.html", context, 400)
        await clients.update(rotated)
        return secret_page(request, user, rotated, secret, created=False)

    async def delete_app(request: Request) -> Response:
        checked = await owned_post(request)
        if isinstance(checked, Response):
            return checked
        form, user, client = checked
        if form.get("confirm") != "yes":
            errors = {"confirm": gettext("Tick the box to confirm that the app should be deleted.")}
            return app_page(request, user, client, errors=errors, status=400)
        await clients.delete(client.client_id)
        return RedirectResponse("/developer/apps?notice=deleted", status_code=303)

    return [
        Route("/developer/apps", list_apps, methods=["GET"]),
        Route("/developer/apps/new", new_app_form, methods=["GET"]),
        Route("/developer/apps/new", create_app, methods=["POST"]),
        Route("/developer/apps/{client_id}", show_app, methods=["GET"]),
        Route("/developer/apps/{client_id}", update_app, methods=["POST"]),
        Route("/developer/apps/{client_id}/rotate-secret", rotate, methods=["POST"]),
        Route("/developer/apps/{client_id}/delete", delete_app, methods=["POST"]),
    ]


def _shown(exc: ClientSpecError) -> dict[str, str]:
    """The problems with an app's settings in the page's language."""
    return {name: translated(problem) for name, problem in exc.problems.items()}


def _app_url(client: Client, suffix: str = "") -> str:
    return f"/developer/apps/{quote(client.client_id, safe='')}{suffix}"
