"""The UserInfo endpoint (OIDC Core §5.3): the claims an access token may read about its user."""

from __future__ import annotations

from dataclasses import dataclass

from stint.protocol.errors import InsufficientScopeError, InvalidTokenError
from stint.protocol.oidc.claims import ClaimsRequest, release
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.oidc.ports import ClaimsSource
from stint.protocol.ports import GrantStore
from stint.protocol.token_validation import TokenValidator

__all__ = ["UserInfoEndpoint", "UserInfoResponse"]


@dataclass(frozen=True, slots=True)
class UserInfoResponse:
    media_type: str  # application/json, or application/jwt when signed or encrypted (§5.3.2)
    body: bytes


class UserInfoEndpoint:
    def __init__(
        self,
        tokens: TokenValidator,
        grants: GrantStore,
        claims: ClaimsSource,
        id_tokens: IdTokenIssuer,
    ) -> None:
        self._tokens = tokens
        self._grants = grants
        self._claims = claims
        self._id_tokens = id_tokens

    async def handle(self, access_token: str) -> UserInfoResponse:
        """Raises InvalidTokenError, InsufficientScopeError, or InvalidRequestError (a response
        the client's registered keys cannot encrypt)."""
        token = await self._tokens.validate(access_token)
        if token.user_id is None:
            raise InvalidTokenError("this token acts for no user")
        # §5.3.1: UserInfo answers tokens of an OpenID Connect request only.
        if "openid" not in token.scopes:
            raise InsufficientScopeError("openid", "UserInfo needs the openid scope")
        if token.client is None:  # Stint's first-party tokens never carry openid
            raise InvalidTokenError("this token was issued to no client")
        requested = ClaimsRequest()
        if token.grant_id is not None:
            context = await self._grants.oidc_context(token.grant_id)
            if context is not None:
                requested = AuthContext.from_json(context).claims
        user_claims = await self._claims.claims(token.user_id)
        claims = {
            # §5.3.2: sub as the ID tokens issued to this client say it (public or pairwise).
            "sub": self._id_tokens.subjects.for_client(token.user_id, token.client),
            # §5.4, §5.5: what the scopes name plus what was requested by name and consented to.
            **release(user_claims, scopes=token.scopes, requested=requested.userinfo),
        }
        media_type, body = await self._id_tokens.userinfo_response(token.client, claims)
        return UserInfoResponse(media_type, body)
