"""What the social feature adds to other pages: "Continue with <label>" on the sign-in page, and
/account's panel of connected providers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from starlette.requests import Request

from stint.accounts.linking import RefusalReason
from stint.accounts.models import User
from stint.web.i18n import _
from stint.web.pages.common import SignInLink
from stint.web.social.context import SocialContext
from stint.web.social.providers import label_of

__all__ = ["account_panel", "sign_in_links"]

# After a redirect, by a fixed key: nothing from the query string reaches the page.
NOTICES = {
    "connected": _("The provider was connected: you can now sign in with it."),
    "disconnected": _("The provider was disconnected."),
}
REFUSALS = {
    f"refused-{RefusalReason.LAST_SIGN_IN_METHOD.value}": (
        _(
            "That is the only way you can sign in: set a password or connect another provider "
            "before disconnecting it."
        )
    ),
}


async def sign_in_links(social: SocialContext, next_url: str) -> list[SignInLink]:
    query = f"?{urlencode({'next': next_url}, quote_via=quote)}" if next_url else ""
    return [
        SignInLink(label=label_of(p), url=f"/login/{p.name}/{query}")
        for p in await social.providers.all()
    ]


async def account_panel(social: SocialContext, request: Request, user: User) -> Markup:
    providers = await social.providers.all()
    labels = {p.name: label_of(p) for p in providers}
    connections: list[dict[str, Any]] = [
        {
            "provider": c.provider,
            "label": labels.get(c.provider, c.provider),
            "uid": c.uid,
            "display": c.display,
            "linked": c.linked_at,
        }
        for c in await social.linker.connections(user.id)
    ]
    if not providers and not connections:
        return Markup()  # nothing to connect or disconnect: no panel
    key = request.query_params.get("social", "")
    # Disconnecting the only way to sign in is refused (AccountLinker.disconnect): no button.
    # A connection to a provider no longer offered is no way in.
    password = social.pages.accounts.has_usable_password(user)
    for c in connections:
        others = [o for o in connections if o is not c and o["provider"] in labels]
        c["only_way"] = not password and not others
    connected = {c["provider"] for c in connections}
    context = {
        "connections": connections,
        # Connecting a provider again links another account there (python-social-auth allows
        # several); the same one is already linked, and stays so.
        "providers": [
            {"name": p.name, "label": labels[p.name], "again": p.name in connected}
            for p in providers
        ],
        "notice": NOTICES.get(key),
        "refusal": REFUSALS.get(key),
    }
    return social.pages.pages.fragment(request, "social/connections.html", context)
