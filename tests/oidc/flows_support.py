"""What the Implicit, Hybrid and Form Post plan tests add to tests/oidc/support.py: the
response types of each plan and the members each one's success carries, reading a response
from the fragment, and reading a form_post page (its form, fields and everything it loads).

ID tokens are checked with support.verify_id_token: at_hash / c_hash computed there from scratch,
the left half of the SHA-256 of the value, base64url (OIDC Core §3.1.3.6, §3.3.2.11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.oidc import support
from tests.oidc.support import (
    ISSUER,
    NONCE,
    STATE,
    authorize,
    reauthenticate,
    redirect_params,
    userinfo,
)
from tests.support.tokens import REDIRECT_URI

__all__ = [
    "ERROR_MEMBERS",
    "HYBRID_TYPES",
    "IMPLICIT_TYPES",
    "ISSUER",
    "LOGIN_REQUIRED_FAMILY",
    "NONCE",
    "OTHER_SCOPE_CLAIMS",
    "PROFILE",
    "PROFILE_SCOPE_CLAIMS",
    "STATE",
    "FormPostPage",
    "authorize",
    "checked_id_token",
    "expected_members",
    "form_post",
    "fragment",
    "give_profile",
    "oidc_client",
    "parse_form_post",
    "query",
    "reauthenticate",
    "userinfo",
]

IMPLICIT_TYPES = ("id_token", "id_token token")
HYBRID_TYPES = ("code id_token", "code token", "code id_token token")
# OIDC Core §3.2.2.5 / §3.3.2.5, plus what RFC 6749 §4.2.2 adds to an access token and
# RFC 9207 adds to every response: the members each response type's success carries.
_TOKEN_MEMBERS = frozenset({"access_token", "token_type", "expires_in", "scope"})
_MEMBERS_BY_VALUE = {
    "code": frozenset({"code"}),
    "id_token": frozenset({"id_token"}),
    "token": _TOKEN_MEMBERS,
}
ERROR_MEMBERS = frozenset({"error", "error_description", "state", "iss"})
LOGIN_REQUIRED_FAMILY = (
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
)
# The claims of the profile scope that support.FULL_PROFILE fills in (OIDC Core §5.4).
PROFILE_SCOPE_CLAIMS = (
    "name",
    "given_name",
    "family_name",
    "nickname",
    "website",
    "zoneinfo",
    "locale",
    "birthdate",
    "preferred_username",
)
OTHER_SCOPE_CLAIMS = ("email", "email_verified", "phone_number", "address")


def expected_members(response_type: str, *, state: bool = True) -> frozenset[str]:
    members: set[str] = {"iss"}
    for value in response_type.split():
        members |= _MEMBERS_BY_VALUE[value]
    if state:
        members.add("state")
    return frozenset(members)


def fragment(response: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The fragment of a redirect to exactly ``redirect_uri``, nothing added to its query."""
    return redirect_params(response, redirect_uri, mode="fragment")


def query(response: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The query of a redirect to ``redirect_uri`` that has no fragment."""
    return redirect_params(response, redirect_uri, mode="query")


# --- form_post pages -------------------------------------------------------------------------


@dataclass
class FormPostPage:
    """What a form_post page holds: its forms, their fields, every script and inline handler."""

    forms: list[dict[str, str]] = field(default_factory=list)
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, value)
    scripts: list[dict[str, str]] = field(default_factory=list)
    inline_script_text: list[str] = field(default_factory=list)
    inline_handlers: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)  # src/href of anything loaded


class _FormPostParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = FormPostPage()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.page.inline_handlers += [name for name in found if name.startswith("on")]
        if "style" in found:
            self.page.styles.append(found["style"])
        if tag == "form":
            self.page.forms.append(found)
        elif tag == "input":
            self.page.fields.append(
                (found.get("type", ""), found.get("name", ""), found.get("value", ""))
            )
        elif tag == "script":
            self.page.scripts.append(found)
            self._in_script = True
        elif tag == "style":
            self.page.styles.append("<style>")
        for name in ("src", "href"):
            if name in found and tag != "a":
                self.page.resources.append(found[name])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.page.inline_script_text.append(data)


def parse_form_post(html: str) -> FormPostPage:
    parser = _FormPostParser()
    parser.feed(html)
    parser.close()
    return parser.page


def form_post(response: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The response members of a form_post page (OAuth 2.0 Form Post Response Mode §2): one
    form, method post, action exactly ``redirect_uri``, only hidden fields, each name once."""
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    page = parse_form_post(response.text)
    assert len(page.forms) == 1, page.forms
    [form] = page.forms
    assert form.get("method", "").lower() == "post", form
    assert form.get("action") == redirect_uri, form
    assert all(kind == "hidden" for kind, _, _ in page.fields), page.fields
    names = [name for _, name, _ in page.fields]
    assert len(names) == len(set(names)), names
    return {name: value for _, name, value in page.fields}


# --- shorthand over support.py in the form the Implicit, Hybrid and Form Post tests use ------

PROFILE = {"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell"}


async def oidc_client(
    app: Starlette,
    *response_types: str,
    client_type: str = "confidential",
    grant_types: frozenset[str] | None = None,
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
    **metadata: Any,
) -> tuple[str, str | None]:
    """support.oidc_client with the response types given positionally: (client_id, secret)."""
    rp = await support.oidc_client(
        app,
        response_types=response_types or ("code",),
        grant_types=tuple(sorted(grant_types)) if grant_types is not None else None,
        client_type=client_type,
        redirect_uris=redirect_uris,
        **metadata,
    )
    return rp.client_id, rp.secret


async def give_profile(app: Starlette, user_id: int, **claims: Any) -> None:
    """Set the user's standard claims (PROFILE unless given as keywords)."""
    await support.give_profile(app, user_id, claims or PROFILE)


async def checked_id_token(
    client: httpx.AsyncClient,
    token: str,
    client_id: str,
    *,
    nonce: str | None = NONCE,
    access_token: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """support.verify_id_token's claims (at_hash / c_hash exactly when a token / code came)."""
    verified = await support.verify_id_token(
        client, token, client_id, nonce=nonce, access_token=access_token, code=code
    )
    return verified.claims
