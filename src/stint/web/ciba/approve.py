"""/approve: the signed-in person's pending backchannel authentication requests (CIBA Core §5,
the "authentication device"), each with its app, scopes and binding message, to approve or deny.

The page keeps itself current without a reload: ``/static/approve.js`` asks
``GET /approve/pending`` (a small JSON list) every two seconds while the page is visible. Polling
JSON rather than Server-Sent Events: the requests live in the database, so any worker answers a
poll without a pub/sub channel between workers and hosts; a short request passes every proxy
and load balancer unbuffered; and it holds no connection (nor worker slot) open per tab. One
indexed query per open page every two seconds is cheap. Without JavaScript, a reload does the
same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.protocol.authorize.response import Authentication
from stint.protocol.ciba.approval import BackchannelApprovals, PendingApproval
from stint.protocol.ciba.ports import BackchannelRequest
from stint.protocol.oidc.claims import CLAIM_DESCRIPTIONS
from stint.protocol.scopes import SCOPE_DESCRIPTIONS
from stint.web.i18n import _, format_clock, gettext
from stint.web.pages.common import PageContext, login_redirect
from stint.web.responses import JSONResponse

__all__ = ["APPROVE_PATH", "ApproveDependencies", "Decided", "account_panel", "approve_routes"]

APPROVE_PATH = "/approve"

# Messages after a redirect, by a fixed key: nothing from the query string reaches the page.
NOTICES = {
    "approved": _("Approved. The app can now act for you; take it back at any time on /account."),
    "denied": _("Denied. The app was told that you refused."),
    "gone": _("That request was already decided, or it expired."),
}


Decided = Callable[[BackchannelRequest], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ApproveDependencies:
    pages: PageContext
    approvals: BackchannelApprovals
    decided: Decided  # tells a ping or push client, in the background (§10.2, §10.3, §12)


def approve_routes(deps: ApproveDependencies) -> list[BaseRoute]:
    ctx = deps.pages

    def described(pending: list[PendingApproval]) -> list[dict[str, Any]]:
        shown = []
        for item in sorted(pending, key=lambda p: p.request.created_at, reverse=True):
            expires_at = item.request.expires_at.astimezone(UTC)
            shown.append(
                {
                    "id": item.handle,
                    "client_name": item.client.name,
                    "binding_message": item.request.binding_message or "",
                    # Plain strings in the request's language: the poll's JSON carries them too.
                    "scopes": [
                        (s, _now(SCOPE_DESCRIPTIONS, s)) for s in sorted(item.consent.scopes)
                    ],
                    # OIDC Core §5.5: claims asked for by name, beyond what the scopes name.
                    "claims": [
                        (c, _now(CLAIM_DESCRIPTIONS, c)) for c in sorted(item.consent.claims)
                    ],
                    "expires": format_clock(expires_at),
                    "expires_at": expires_at.isoformat(),
                }
            )
        return shown

    async def page(request: Request) -> Response:
        signed_in = await ctx.signed_in(request)
        if signed_in is None:
            return login_redirect(request)
        user = signed_in[1]
        blank = {
            "id": "",
            "client_name": "",
            "binding_message": "",
            "scopes": [],
            "claims": [],
            "expires": "",
        }
        context = {
            "user": user,
            "requests": described(await deps.approvals.pending(user.id)),
            "blank": blank,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        }
        return ctx.pages.render(request, "approve.html", context)

    async def pending(request: Request) -> Response:
        signed_in = await ctx.signed_in(request)
        if signed_in is None:  # the script stops and says so; no redirect to follow
            return JSONResponse({"error": "signed_out"}, 401, headers={"Cache-Control": "no-store"})
        requests = described(await deps.approvals.pending(signed_in[1].id))
        body = {
            "requests": [
                {
                    **item,
                    "scopes": [{"scope": s, "description": d} for s, d in item["scopes"]],
                    "claims": [{"claim": c, "description": d} for c, d in item["claims"]],
                }
                for item in requests
            ]
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def decide(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next=APPROVE_PATH)
        if isinstance(checked, Response):
            return checked
        form, session, user = checked
        handle = request.path_params["handle"]
        decision = form.get("decision")
        if decision not in ("approve", "deny"):
            context = {
                "title": _("No decision"),
                "message": _("Press Approve or Deny."),
                "user": user,
            }
            return ctx.pages.render(request, "error.html", context, 400)
        if decision == "approve":
            authn = Authentication(
                auth_time=session.auth_time,
                sid=session.sid,
                amr=tuple(session.amr.split()),
                acr=session.acr,
            )
            decided = await deps.approvals.approve(user.id, user.username, handle, authn)
            notice = "approved"
        else:
            decided = await deps.approvals.deny(user.id, handle)
            notice = "denied"
        if decided is None:
            notice = "gone"
        else:
            await deps.decided(decided)
        return RedirectResponse(f"{APPROVE_PATH}?notice={notice}", status_code=303)

    return [
        Route(APPROVE_PATH, page, methods=["GET"]),
        Route(f"{APPROVE_PATH}/pending", pending, methods=["GET"]),
        Route(APPROVE_PATH + "/{handle}", decide, methods=["POST"]),
    ]


def _now(descriptions: dict[str, str], name: str) -> str:
    return gettext(descriptions[name]) if name in descriptions else name


async def account_panel(deps: ApproveDependencies, request: Request, user: User) -> Markup:
    """/account's pointer to /approve, with how many requests wait there."""
    waiting = len(await deps.approvals.pending(user.id))
    return deps.pages.pages.fragment(request, "ciba/account_panel.html", {"waiting": waiting})
