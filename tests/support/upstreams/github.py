"""A GitHub that answers as GitHub documents its OAuth apps ("Authorizing OAuth apps", web
application flow) and REST API (``/user``, ``/user/emails``), as an ASGI app to serve on loopback.

Routes sit at the root: serve it once and use its URL both as the login base
(``/login/oauth/...``) and as the API base, as a GitHub Enterprise host would be configured.
What a client must cope with, kept as GitHub does it: the token answer is form-encoded unless the
request says ``Accept: application/json``; a refused code is an ``error`` in a 200 answer; scopes
come back comma-separated; ``/user``'s ``email`` is the public address (often null) and only
``/user/emails`` says which address is primary and verified.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

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

__all__ = ["FakeGitHub", "GitHubEmail", "GitHubUser"]

DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class GitHubEmail:
    email: str
    verified: bool
    primary: bool = False
    visibility: str | None = None  # "public" or "private" for the primary, null for the others


@dataclass
class GitHubUser:
    """The signed-in person: ``public_email`` is what /user says; ``emails`` /user/emails."""

    id: int = 583231
    login: str = "octocat"
    name: str | None = "The Octocat"
    public_email: str | None = None
    emails: list[GitHubEmail] = field(
        default_factory=lambda: [GitHubEmail("octocat@example.com", verified=True, primary=True)]
    )

    def as_json(self, base_url: str) -> dict[str, Any]:
        """GET /user ("Get the authenticated user"), the fields a sign-in reads."""
        return {
            "login": self.login,
            "id": self.id,
            "node_id": base64.b64encode(f"04:User{self.id}".encode()).decode(),
            "avatar_url": f"{base_url}/avatars/u/{self.id}",
            "url": f"{base_url}/users/{self.login}",
            "html_url": f"{base_url}/{self.login}",
            "type": "User",
            "site_admin": False,
            "name": self.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": self.public_email,
            "hireable": None,
            "bio": None,
            "public_repos": 8,
            "followers": 20,
            "following": 0,
            "created_at": "2011-01-25T18:44:36Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }


@dataclass
class FakeGitHub:
    """One GitHub with one registered OAuth app and one person who authorizes it."""

    url: str = ""  # where it is served (set by the test's fixture)
    client_id: str = "Iv1.github-client"
    client_secret: str = "github-client-secret"
    callback_url: str = ""  # the app's registered "Authorization callback URL"
    person: GitHubUser = field(default_factory=GitHubUser)
    deny: bool = False
    # False: a form-encoded token answer even to "Accept: application/json" (a GitHub Enterprise
    # behind a proxy that drops the header answers so).
    json_when_asked: bool = True
    failing: set[str] = field(default_factory=set)  # paths that answer 500 (an outage)
    flow: CodeFlow[GitHubUser] = field(default_factory=CodeFlow)
    user_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self.authorize, methods=["GET"]),
                Route("/login/oauth/access_token", self.access_token, methods=["POST"]),
                Route("/user", self.user, methods=["GET"]),
                Route("/user/emails", self.emails, methods=["GET"]),
            ]
        )

    def _outage(self, request: Request) -> Response | None:
        if request.url.path in self.failing:
            return PlainTextResponse("Unicorn!", status_code=500)
        return None

    # -- "Authorizing OAuth apps": the web application flow -------------------------------

    async def authorize(self, request: Request) -> Response:
        if outage := self._outage(request):
            return outage
        params = dict(request.query_params)
        self.flow.authorize_requests.append(params)
        if params.get("client_id") != self.client_id:
            return PlainTextResponse("404 Not Found: no such application", status_code=404)
        state = {"state": params["state"]} if "state" in params else {}
        redirect_uri = params.get("redirect_uri", self.callback_url)
        if redirect_uri != self.callback_url:
            # GitHub sends a mismatched redirect_uri's error to the registered callback URL.
            return redirect(
                self.callback_url,
                {
                    "error": "redirect_uri_mismatch",
                    "error_description": "The redirect_uri MUST match the registered callback "
                    "URL for this application.",
                    **state,
                },
            )
        # GitHub accepts only S256 (changelog 2025-07-14, "PKCE support").
        if "code_challenge" in params and params.get("code_challenge_method") != "S256":
            return redirect(redirect_uri, {"error": "invalid_request", **state})
        if self.deny:
            return redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The user has denied your application access.",
                    **state,
                },
            )
        # GitHub's docs: "scope: a space-delimited list"; commas are accepted as well.
        scope = tuple(s for s in params.get("scope", "").replace(",", " ").split() if s)
        grant = code_grant(params, self.client_id, redirect_uri, self.person, scope=scope)
        return redirect(redirect_uri, {"code": self.flow.issue_code(grant), **state})

    async def access_token(self, request: Request) -> Response:
        if outage := self._outage(request):
            return outage
        form = {**dict(request.query_params), **parse_form(await request.body())}
        self.flow.token_requests.append({"form": form, "headers": dict(request.headers)})
        authorization = request.headers.get("authorization", "")
        client_id, client_secret = client_credentials(authorization, form)
        if client_id != self.client_id or client_secret != self.client_secret:
            return self._answer(request, {"error": "incorrect_client_credentials"})
        grant = self.flow.redeem(form.get("code", ""))
        if grant is None or grant.client_id != client_id:
            return self._answer(request, {"error": "bad_verification_code"})
        if "redirect_uri" in form and form["redirect_uri"] != grant.redirect_uri:
            return self._answer(request, {"error": "redirect_uri_mismatch"})
        if not grant.verifier_matches(form.get("code_verifier")):
            return self._answer(request, {"error": "bad_verification_code"})
        return self._answer(
            request,
            {
                "access_token": self.flow.issue_token(grant, prefix="gho_"),
                "scope": ",".join(grant.scope),
                "token_type": "bearer",
            },
        )

    def _answer(self, request: Request, body: dict[str, str]) -> Response:
        """The token answer: form-encoded unless the client asked for JSON; errors too are 200."""
        if self.json_when_asked and "application/json" in request.headers.get("accept", ""):
            return JSONResponse(body)
        return Response(urlencode(body), media_type="application/x-www-form-urlencoded")

    # -- the REST API --------------------------------------------------------------------

    async def user(self, request: Request) -> Response:
        if outage := self._outage(request):
            return outage
        grant = self._authenticated(request)
        if grant is None:
            return _requires_authentication()
        return JSONResponse(grant.person.as_json(str(request.base_url).rstrip("/")))

    async def emails(self, request: Request) -> Response:
        if outage := self._outage(request):
            return outage
        grant = self._authenticated(request)
        if grant is None:
            return _requires_authentication()
        if not {"user", "user:email"} & set(grant.scope):
            return JSONResponse(
                {"message": "Not Found", "documentation_url": DOCS, "status": "404"},
                status_code=404,
            )
        return JSONResponse(
            [
                {
                    "email": e.email,
                    "verified": e.verified,
                    "primary": e.primary,
                    "visibility": e.visibility,
                }
                for e in grant.person.emails
            ]
        )

    def _authenticated(self, request: Request) -> Grant[GitHubUser] | None:
        """``Authorization: Bearer|token TOKEN``, or the legacy ``access_token`` query parameter
        that python-social-auth's documented example still sends."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        via = scheme.lower()
        if via not in ("bearer", "token"):
            token, via = request.query_params.get("access_token", ""), "query"
        self.user_requests.append({"path": request.url.path, "via": via})
        return self.flow.grant_for_token(token) if token else None


def _requires_authentication() -> JSONResponse:
    return JSONResponse(
        {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"},
        status_code=401,
    )
