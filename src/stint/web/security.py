"""Who is calling: HTTP Basic (password or token as username) and Bearer tokens (RFC 6750)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from stint.accounts.service import AccountService, AuthStatus
from stint.protocol.basic_credentials import MalformedBasicError, decode_basic
from stint.protocol.errors import InsufficientScopeError, InvalidRequestError, InvalidTokenError
from stint.protocol.token_validation import ActiveToken, TokenValidator
from stint.web.authorization import authorization_header
from stint.web.challenges import BASIC_CHALLENGE, bearer_challenge
from stint.web.problems import ApiProblem

__all__ = ["Authenticator", "Principal", "presented_token"]


@dataclass(slots=True)  # not frozen: one per request; frozen pays object.__setattr__ per field
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
            challenge = bearer_challenge(
                InsufficientScopeError(scope, f"this request needs the scope {scope}")
            )
            raise ApiProblem(
                403,
                "Forbidden",
                f"the access token lacks the scope {scope!r}",
                headers={"WWW-Authenticate": challenge},
            )


def _unauthorized(detail: str, *, refused: InvalidTokenError | None = None) -> ApiProblem:
    # Both schemes are offered; Bearer names the error only when a token was sent (§3.1).
    challenge = f"{BASIC_CHALLENGE}, {bearer_challenge(refused)}"
    return ApiProblem(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


def _refused(exc: InvalidTokenError) -> ApiProblem:
    return _unauthorized(exc.description, refused=exc)


def _principal_or_client(token: ActiveToken) -> Principal | str:
    """The user a token acts for, or (a str) the client that holds it for itself."""
    if token.user_id is None:
        return token.client_id
    return Principal(
        token.user_id, token.username, token.scopes, False, token.client_id, token.grant_id
    )


class Authenticator:
    """Resolves the ``Authorization`` header of a request to a Principal, or raises a 401/429."""

    def __init__(self, accounts: AccountService, tokens: TokenValidator) -> None:
        self._accounts = accounts
        self._tokens = tokens

    async def client_or_user(self, request: Request) -> Principal | str:
        """A user principal, or the client id of a token a client holds for itself."""
        scheme, _, token = (_authorization(request) or "").partition(" ")
        if scheme.lower() == "bearer":
            try:
                active = await self._tokens.validate(token.strip())
            except InvalidTokenError as exc:
                raise _refused(exc) from None
            return _principal_or_client(active)
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

    async def _from_token(self, token: str) -> Principal:
        try:
            active = await self._tokens.validate(token)
        except InvalidTokenError as exc:
            raise _refused(exc) from None
        resolved = _principal_or_client(active)
        if isinstance(resolved, str):
            raise _refused(InvalidTokenError("this token acts for no user"))
        return resolved

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
        return authorization_header(request.scope["headers"])  # no Headers object built
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
