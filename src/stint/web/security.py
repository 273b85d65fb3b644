"""Who is calling: HTTP Basic (password or token as username) and Bearer tokens (RFC 6750)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request

from stint.accounts.service import AccountService, AuthStatus
from stint.protocol.access_tokens import AccessTokenVerifier
from stint.protocol.basic_credentials import MalformedBasicError, decode_basic
from stint.protocol.errors import InvalidRequestError, InvalidTokenError
from stint.protocol.ports import ClientStore, GrantStore, OpaqueAccessToken, OpaqueTokenStore
from stint.protocol.revocation_cache import RevocationCache
from stint.protocol.scopes import FIRST_PARTY_CLIENT_ID
from stint.protocol.secrets import SecretHasher
from stint.web.authorization import authorization_header
from stint.web.problems import ApiProblem

__all__ = ["Authenticator", "Principal", "TokenChecks", "presented_token"]

REALM = "stint"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    scopes: frozenset[str] | None  # None: signed in with the password, every scope
    via_password: bool
    client_id: str | None = None
    grant_id: str | None = None

    def require(self, scope: str) -> None:
        """RFC 6750 §3.1: a token without the needed scope gets 403 insufficient_scope."""
        if self.scopes is not None and scope not in self.scopes:
            challenge = (
                f'Bearer realm="{REALM}", error="insufficient_scope", '
                f'error_description="this request needs the scope {scope}", scope="{scope}"'
            )
            raise ApiProblem(
                403,
                "Forbidden",
                f"the access token lacks the scope {scope!r}",
                headers={"WWW-Authenticate": challenge},
            )


def _unauthorized(detail: str, *, bearer_error: str | None = None) -> ApiProblem:
    bearer = f'Bearer realm="{REALM}"'
    if bearer_error:
        # RFC 6750 §3: say why the token was refused, but only when a token was sent.
        bearer += f', error="{bearer_error}", error_description="{detail}"'
    challenge = f'Basic realm="{REALM}", charset="UTF-8", {bearer}'
    return ApiProblem(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


@dataclass(frozen=True, slots=True)
class TokenChecks:
    """What makes a token valid beyond its signature: revocation, and opaque tokens' records."""

    revocations: RevocationCache
    opaque_tokens: OpaqueTokenStore
    clients: ClientStore
    grants: GrantStore
    hasher: SecretHasher


class Authenticator:
    """Resolves the ``Authorization`` header of a request to a Principal, or raises a 401/429."""

    def __init__(
        self, accounts: AccountService, verifier: AccessTokenVerifier, checks: TokenChecks
    ) -> None:
        self._accounts = accounts
        self._verifier = verifier
        self._checks = checks

    async def client_or_user(self, request: Request) -> Principal | str:
        """A user principal, or the client id of a token a client holds for itself."""
        scheme, _, token = (_authorization(request) or "").partition(" ")
        if scheme.lower() == "bearer":
            return await self._resolve_token(token.strip())
        return await self(request)

    async def __call__(self, request: Request, *, password_only: bool = False) -> Principal:
        header = _authorization(request)
        if not header:
            raise _unauthorized("authentication is required")
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if scheme == "bearer" and not password_only:
            return await self._from_token(credentials)
        if scheme == "basic":
            username, password = _basic_credentials(credentials)
            # As in the token-auth article: a token may stand in the username, any password.
            if not password_only and _is_jwt(username):
                return await self._from_token(username)
            return await self._from_password(username, password, _client_ip(request))
        raise _unauthorized("use HTTP Basic or a Bearer token")

    async def bearer(self, token: str) -> Principal:
        """The user an access token acts for (UserInfo, OIDC Core §5.3), or a 401."""
        return await self._from_token(token)

    async def _from_token(self, token: str) -> Principal:
        resolved = await self._resolve_token(token)
        if isinstance(resolved, str):
            raise _unauthorized("this token acts for no user", bearer_error="invalid_token")
        return resolved

    async def _resolve_token(self, token: str) -> Principal | str:
        """The user a token acts for, or (a str) the client that holds it for itself."""
        if token.count(".") != 2:
            found = await self._opaque_record(token)
            client_id, user_id, scopes = found.client_id, found.user_id, found.scopes
            grant_id = found.grant_id
        else:
            try:
                claims = await self._verifier.verify(token)
            except InvalidTokenError as exc:
                raise _unauthorized(exc.description, bearer_error="invalid_token") from None
            if await self._checks.revocations.is_revoked(claims):
                raise _unauthorized("the access token was revoked", bearer_error="invalid_token")
            client_id, user_id, scopes = claims.client_id, claims.user_id, claims.scopes
            grant_id = claims.grant_id
        # A deleted client's tokens die with it (the client lookup is cached per worker).
        if client_id != FIRST_PARTY_CLIENT_ID and await self._checks.clients.get(client_id) is None:
            raise _unauthorized("the client was deleted", bearer_error="invalid_token")
        if user_id is None:
            return client_id
        user = await self._accounts.active_user(user_id)
        if user is None:
            raise _unauthorized("the account is disabled", bearer_error="invalid_token")
        return Principal(user.id, user.username, scopes, False, client_id, grant_id)

    async def _opaque_record(self, token: str) -> OpaqueAccessToken:
        """The stored opaque token, unexpired and unrevoked, or a 401."""
        found = None
        if 20 <= len(token) <= 100:
            found = await self._checks.opaque_tokens.get(self._checks.hasher.hash(token))
        if found is None or found.expires_at <= datetime.now(UTC):
            raise _unauthorized(
                "the access token is unknown or expired", bearer_error="invalid_token"
            )
        if found.grant_id is not None and await self._checks.grants.is_revoked(found.grant_id):
            raise _unauthorized("the access token was revoked", bearer_error="invalid_token")
        return found

    async def _from_password(self, username: str, password: str, ip: str) -> Principal:
        result = await self._accounts.authenticate(username, password, ip)
        if result.status is AuthStatus.THROTTLED:
            retry = str(self._accounts.throttle.retry_after)
            raise ApiProblem(
                429,
                "Too Many Requests",
                "too many failed sign-ins; wait before trying again",
                kind="throttled",
                headers={"Retry-After": retry},
            )
        if result.user is None:
            raise _unauthorized("wrong username or password")
        return Principal(result.user.id, result.user.username, None, via_password=True)


def presented_token(request: Request) -> str | None:
    """The token a request authenticates with (Bearer, or a JWT as the Basic username)."""
    scheme, _, credentials = (_authorization(request) or "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer":
        return credentials
    if scheme == "basic":
        username, _ = _basic_credentials(credentials)
        return username if _is_jwt(username) else None
    return None


def _is_jwt(username: str) -> bool:
    return username.count(".") == 2 and len(username) > 64


def _authorization(request: Request) -> str | None:
    """The one Authorization header; a repeated one is a 400 problem."""
    try:
        return authorization_header(request.headers.raw)
    except InvalidRequestError as exc:
        raise ApiProblem(400, "Bad Request", exc.description) from None


def _basic_credentials(encoded: str) -> tuple[str, str]:
    """RFC 7617 §2, by the one decoder the OAuth endpoints use too."""
    try:
        return decode_basic(encoded)
    except MalformedBasicError as exc:
        raise _unauthorized(str(exc)) from None


def _client_ip(request: Request) -> str:
    # Behind a proxy, uvicorn's --forwarded-allow-ips puts the real address here.
    return request.client.host if request.client else "unknown"
