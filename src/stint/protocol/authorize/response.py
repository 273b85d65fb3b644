"""The authorization response: a code (§4.1.2), tokens (§4.2.2), an ID token, or several of
them at once (OIDC Core §3.2.2.5, §3.3.2.5), in the query, the fragment or a posted form."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from stint.protocol.authorize.request import AuthorizationRequest, RedirectTarget
from stint.protocol.clients import Client
from stint.protocol.consent import Consent
from stint.protocol.errors import OAuthError
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.ports import Approval, ApprovalStore, AuthorizationCode
from stint.protocol.secrets import new_secret
from stint.protocol.tokens import Subject, TokenFactory

__all__ = [
    "Authentication",
    "AuthorizationReply",
    "AuthorizationResponder",
    "redirect_url",
    "user_approval",
]

CODE_TTL = timedelta(seconds=60)  # RFC 6749 §4.1.2: short-lived, at most ten minutes


@dataclass(frozen=True, slots=True)
class AuthorizationReply:
    """What goes back to the client, and how: a redirect URL, or a form to post (form_post)."""

    target: RedirectTarget
    params: dict[str, str]

    @property
    def url(self) -> str:
        return redirect_url(self.target, self.params)


@dataclass(frozen=True, slots=True)
class Authentication:
    """The browser session behind an approval."""

    auth_time: datetime
    sid: str = ""
    amr: tuple[str, ...] = ("pwd",)
    acr: str = ""


def user_approval(
    tokens: TokenFactory,
    client: Client,
    subject: Subject,
    scopes: frozenset[str],
    authn: Authentication,
    *,
    openid: bool,
    consent: Consent | None = None,
    claims: ClaimsRequest | None = None,
    nonce: str | None = None,
) -> tuple[Approval, AuthContext]:
    """What a signed-in user's approval records, wherever they approve (authorization endpoint,
    /device, ...): a new grant, carrying the authentication behind it when OpenID Connect applies
    (``openid``); the consent just given; and the browser session the client now takes part in,
    so back-channel logout covers it. With that authentication, for the ID tokens."""
    auth = AuthContext.at(
        authn.auth_time,
        sid=authn.sid,
        acr=authn.acr,
        amr=authn.amr,
        claims=claims if claims is not None else ClaimsRequest(),
        nonce=nonce,
    )
    grant = tokens.grant(client, subject, scopes, oidc=auth.to_json() if openid else None)
    sid = authn.sid if openid and authn.sid else None
    return Approval(grant, consent=consent, sid=sid), auth


def redirect_url(target: RedirectTarget, params: dict[str, str]) -> str:
    encoded = urlencode(params)
    if target.mode == "fragment":
        return f"{target.uri}#{encoded}"
    return f"{target.uri}{'&' if '?' in target.uri else '?'}{encoded}"


class AuthorizationResponder:
    def __init__(
        self,
        approvals: ApprovalStore,
        tokens: TokenFactory,
        issuer: str,
        id_tokens: IdTokenIssuer | None = None,
    ) -> None:
        self._approvals = approvals
        self._tokens = tokens
        self._issuer = issuer
        self._id_tokens = id_tokens

    def _reply(self, target: RedirectTarget, params: dict[str, str]) -> AuthorizationReply:
        values = dict(params)
        if target.state is not None:
            values["state"] = target.state  # §4.1.2: exactly as the client sent it
        values["iss"] = self._issuer  # RFC 9207 §2
        return AuthorizationReply(target, values)

    async def approve(
        self,
        request: AuthorizationRequest,
        subject: Subject,
        authn: Authentication,
        *,
        consent: Consent | None = None,
    ) -> AuthorizationReply:
        """The response to send after the user approved (giving ``consent`` just now, if any).

        What the approval creates (consent, grant, code, opaque token, the session's client) is
        stored in one transaction once every value is made: a failure leaves none of it.
        """
        if subject.user_id is None:
            raise ValueError("only a signed-in user can approve")
        values = request.response_values
        openid = request.is_openid and self._id_tokens is not None
        approval, auth = user_approval(
            self._tokens,
            request.client,
            subject,
            request.scopes,
            authn,
            openid=openid,
            consent=consent,
            claims=request.claims,
            nonce=request.nonce,
        )
        grant = approval.grant
        body: dict[str, str] = {}
        code = None
        if "code" in values:
            body["code"], code = self._new_code(request, subject.user_id, grant.id, auth, openid)
        opaque = None
        if "token" in values:
            client, scopes = request.client, request.scopes
            if client.opaque_access_tokens:  # stored with the rest, below
                access, expires_in, opaque = self._tokens.opaque_access_token(
                    client, subject, scopes, grant.id
                )
            else:
                access, expires_in = await self._tokens.access_token(
                    client, subject, scopes, grant.id
                )
            body |= {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": str(expires_in),
                "scope": " ".join(sorted(request.scopes)),
            }
        if "id_token" in values and self._id_tokens is not None:
            body["id_token"] = await self._id_tokens.issue(
                request.client,
                subject.user_id,
                auth,
                # §5.4: with no access token for UserInfo (not here, not from a code), the
                # scope's claims go in the ID token.
                scopes=request.scopes if values == {"id_token"} else (),
                access_token=body.get("access_token"),
                code=body.get("code"),
                state=request.target.state,
            )
        await self._approvals.record(replace(approval, code=code, opaque_token=opaque))
        return self._reply(request.target, body)

    def _new_code(
        self,
        request: AuthorizationRequest,
        user_id: int,
        grant_id: str,
        auth: AuthContext,
        openid: bool,
    ) -> tuple[str, AuthorizationCode]:
        code = new_secret()
        now = self._tokens.now()
        return code, AuthorizationCode(
            code_hash=self._tokens.hasher.hash(code),
            grant_id=grant_id,
            client_id=request.client.client_id,
            user_id=user_id,
            redirect_uri=request.redirect_uri_param,
            scopes=request.scopes,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            auth_time=datetime.fromtimestamp(auth.auth_time, now.tzinfo),
            expires_at=now + CODE_TTL,
            nonce=request.nonce,
            oidc=auth.to_json() if openid else None,
        )

    def deny(self, request: AuthorizationRequest) -> AuthorizationReply:
        return self.error(request.target, "access_denied", "the user denied the request")

    def error(self, target: RedirectTarget, error: str, description: str) -> AuthorizationReply:
        return self._reply(target, {"error": error, "error_description": description})

    def error_for(self, target: RedirectTarget, exc: OAuthError) -> AuthorizationReply:
        return self.error(target, exc.error, exc.description or exc.error)
