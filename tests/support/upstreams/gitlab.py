"""A GitLab that answers as GitLab documents its OAuth 2.0 provider and REST API (doc/api/oauth2.md,
doc/api/users.md "List current user"), as an ASGI app to serve on a loopback port.

Its routes sit at the root, so the served base URL is what both Stint's ``gitlab`` backend and
social-core's ``GitLabOAuth2`` take as ``API_URL``: ``/oauth/authorize`` (approves the configured
person at once), ``/oauth/token`` (JSON), ``/api/v4/user`` (a Bearer token or GitLab's documented
``access_token`` query parameter, which social-core uses), ``/api/v4/groups``.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.upstreams.code_flow import (
    CodeFlow,
    Grant,
    client_credentials,
    code_grant,
    parse_form,
    redirect,
)

__all__ = ["FakeGitLab", "GitLabUser"]

# The scopes GitLab defines for an application (doc/integration/oauth_provider.md).
GITLAB_SCOPES = frozenset(
    {"api", "read_api", "read_user", "read_repository", "openid", "profile", "email"}
)


@dataclass
class GitLabUser:
    """The signed-in person. ``confirmed_at`` is null until they confirmed their email."""

    id: int = 4242
    username: str = "jsmith"
    name: str = "Jane Smith"
    email: str = "jane@example.com"
    confirmed_at: str | None = "2024-05-23T09:05:22Z"
    state: str = "active"
    groups: list[str] = field(default_factory=list)  # full paths

    def as_json(self, base_url: str) -> dict[str, Any]:
        """GET /api/v4/user, as "List current user (for normal users)" shows it."""
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "name": self.name,
            "state": self.state,
            "avatar_url": f"{base_url}/uploads/user/avatar/{self.id}/avatar.png",
            "web_url": f"{base_url}/{self.username}",
            "created_at": "2024-05-23T08:00:58Z",
            "bio": "",
            "location": None,
            "public_email": "",
            "organization": "",
            "last_sign_in_at": "2026-01-01T11:41:01Z",
            "confirmed_at": self.confirmed_at,
            "theme_id": 1,
            "projects_limit": 100,
            "identities": [],
            "can_create_group": True,
            "can_create_project": True,
            "two_factor_enabled": False,
            "external": False,
            "private_profile": False,
        }


@dataclass
class FakeGitLab:
    """One GitLab instance with one registered application and one person who approves it."""

    url: str = ""  # where it is served (set by the test's fixture)
    client_id: str = "gitlab-app-id"
    client_secret: str = "gitlab-app-secret"
    redirect_uris: Collection[str] = ()
    person: GitLabUser = field(default_factory=GitLabUser)
    deny: bool = False  # the person clicks "Deny": error=access_denied
    failing: set[str] = field(default_factory=set)  # paths that answer 500 (an outage)
    flow: CodeFlow[GitLabUser] = field(default_factory=CodeFlow)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/authorize", self.authorize, methods=["GET"]),
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/api/v4/user", self.user, methods=["GET"]),
                Route("/api/v4/groups", self.groups, methods=["GET"]),
            ]
        )

    # -- the OAuth 2.0 provider ----------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        if outage := self._outage(request):
            return outage
        params = dict(request.query_params)
        self.flow.authorize_requests.append(params)
        redirect_uri = params.get("redirect_uri", "")
        # RFC 6749 §4.1.2.1: a wrong client or redirect URI is shown, never redirected to.
        if params.get("client_id") != self.client_id:
            return PlainTextResponse("The client identifier is unknown.", status_code=400)
        if redirect_uri not in self.redirect_uris:
            return PlainTextResponse("The redirect URI is not registered.", status_code=400)
        state = {"state": params["state"]} if "state" in params else {}
        scope = tuple(params.get("scope", "").split())
        method = params.get("code_challenge_method", "plain")
        if params.get("response_type") != "code":
            error = "unsupported_response_type"
        elif not scope or not set(scope) <= GITLAB_SCOPES:
            error = "invalid_scope"
        elif "code_challenge" in params and method not in ("S256", "plain"):
            error = "invalid_request"
        elif self.deny:
            error = "access_denied"
        else:
            grant = code_grant(params, self.client_id, redirect_uri, self.person)
            code = self.flow.issue_code(grant)
            return redirect(redirect_uri, {"code": code, **state})
        return redirect(redirect_uri, {"error": error, **state})

    async def token(self, request: Request) -> Response:
        if outage := self._outage(request):
            return outage
        form = parse_form(await request.body())
        self.flow.token_requests.append({"form": form, "headers": dict(request.headers)})
        authorization = request.headers.get("authorization", "")
        client_id, client_secret = client_credentials(authorization, form)
        if client_id != self.client_id or client_secret != self.client_secret:
            return _error(401, "invalid_client", "Client authentication failed.")
        if form.get("grant_type") != "authorization_code":
            return _error(400, "unsupported_grant_type", "Only authorization_code here.")
        grant = self.flow.redeem(str(form.get("code", "")))
        if grant is None or grant.client_id != client_id:
            return _error(400, "invalid_grant", "The code is invalid, expired or used.")
        # RFC 6749 §4.1.3: the redirect_uri must be the one the code was issued to.
        if form.get("redirect_uri") != grant.redirect_uri:
            return _error(400, "invalid_grant", "The redirect URI does not match.")
        if not grant.verifier_matches(form.get("code_verifier")):
            return _error(400, "invalid_grant", "The code verifier does not match.")
        return JSONResponse(
            {
                "access_token": self.flow.issue_token(grant),
                "token_type": "Bearer",
                "expires_in": 7200,
                "refresh_token": self.flow.issue_token(grant, prefix="r-"),
                "scope": " ".join(grant.scope),
                "created_at": int(time.time()),
            },
            headers={"Cache-Control": "no-store"},
        )

    # -- the REST API --------------------------------------------------------------------

    async def user(self, request: Request) -> Response:
        if outage := self._outage(request):
            return outage
        grant = self._bearer(request)
        if grant is None:
            return JSONResponse({"message": "401 Unauthorized"}, status_code=401)
        if not {"read_user", "api", "read_api"} & set(grant.scope):
            return JSONResponse({"error": "insufficient_scope"}, status_code=403)
        return JSONResponse(grant.person.as_json(str(request.base_url).rstrip("/")))

    async def groups(self, request: Request) -> Response:
        grant = self._bearer(request)
        if grant is None:
            return JSONResponse({"message": "401 Unauthorized"}, status_code=401)
        groups = [
            {"id": n, "full_path": path, "name": path.rsplit("/", 1)[-1]}
            for n, path in enumerate(grant.person.groups, start=1)
        ]
        return JSONResponse(groups, headers={"X-Next-Page": ""})

    def _bearer(self, request: Request) -> Grant[GitLabUser] | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            token = request.query_params.get("access_token", "")
        return self.flow.grant_for_token(token) if token else None

    def _outage(self, request: Request) -> Response | None:
        if request.url.path in self.failing:
            return PlainTextResponse("502 Whoops, GitLab is taking too much time", status_code=502)
        return None


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
