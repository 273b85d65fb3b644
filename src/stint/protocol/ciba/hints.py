"""Who the client asks for (CIBA Core §7.1): exactly one of ``login_hint``, ``id_token_hint``
and ``login_hint_token``, resolved to an active user or ``unknown_user_id`` (§13).

Stint's ``login_hint_token`` (§7.1 leaves its format to the OP): a JWT the client signs with a
key it registered (``jwks`` / ``jwks_uri``, RS256, PS256 or ES256), with ``iss`` its client_id,
``aud`` Stint's issuer, ``exp``, and either ``sub`` (the subject Stint gives this client: public
or pairwise) or ``login_hint`` (a username). An expired one is ``expired_login_hint_token``.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from stint.protocol.ciba.errors import ExpiredLoginHintTokenError, UnknownUserIdError
from stint.protocol.ciba.ports import HintedUsers
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidRequestError
from stint.protocol.jws import audiences, b64url_decode
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.client_signatures import SIGNED_ALGS, verify_client_jws
from stint.protocol.oidc.id_token_hint import verified_id_token_hint
from stint.protocol.oidc.ports import ClientKeys, FetchFailedError
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.ports import UserDirectory

__all__ = ["HINTS", "HintResolver"]

HINTS = ("login_hint", "id_token_hint", "login_hint_token")
_MAX_HINT_LENGTH = 8192
_LEEWAY_SECONDS = 30


class HintResolver:
    def __init__(
        self,
        *,
        issuer: str,
        keys: KeyRing,
        client_keys: ClientKeys,
        subjects: SubjectIdentifiers,
        hinted: HintedUsers,
        users: UserDirectory,
    ) -> None:
        self._issuer = issuer
        self._keys = keys
        self._client_keys = client_keys
        self._subjects = subjects
        self._hinted = hinted
        self._users = users

    async def user_id(self, params: Mapping[str, str], client: Client, now: datetime) -> int:
        """The active user the request's one hint names."""
        given = [name for name in HINTS if params.get(name)]
        if len(given) != 1:
            # §7.1: exactly one hint, and §13 invalid_request for none or several.
            raise InvalidRequestError(
                "send exactly one of login_hint, id_token_hint, login_hint_token"
            )
        kind = given[0]
        value = params[kind]
        if len(value) > _MAX_HINT_LENGTH:
            raise InvalidRequestError(f"{kind} is too long")
        if kind == "login_hint":
            user_id = await self._hinted.by_login_hint(value)
        elif kind == "id_token_hint":
            user_id = await self._from_id_token(value, client)
        else:
            user_id = await self._from_hint_token(value, client, now)
        if user_id is None or await self._users.active_username(user_id) is None:
            raise UnknownUserIdError(f"the {kind} names no user here")
        return user_id

    async def _from_id_token(self, token: str, client: Client) -> int | None:
        claims = await verified_id_token_hint(token, self._keys, self._issuer)
        # §7.1: an ID token previously issued to this client; expiry does not matter.
        if client.client_id not in audiences(claims.get("aud")):
            raise InvalidRequestError("id_token_hint was issued to another client")
        return await self._by_subject(str(claims["sub"]), client)

    async def _from_hint_token(self, token: str, client: Client, now: datetime) -> int | None:
        claims = await self._verified_hint_token(token, client)
        if claims.get("iss") != client.client_id:
            raise InvalidRequestError("login_hint_token's iss must be the client_id")
        if self._issuer not in audiences(claims.get("aud")):
            raise InvalidRequestError("login_hint_token's aud must be this issuer")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise InvalidRequestError("login_hint_token needs exp")
        if exp <= now.timestamp() - _LEEWAY_SECONDS:
            raise ExpiredLoginHintTokenError("login_hint_token has expired")
        sub, login_hint = claims.get("sub"), claims.get("login_hint")
        if isinstance(sub, str) and sub:
            return await self._by_subject(sub, client)
        if isinstance(login_hint, str) and login_hint:
            return await self._hinted.by_login_hint(login_hint)
        raise InvalidRequestError("login_hint_token carries neither sub nor login_hint")

    async def _verified_hint_token(self, token: str, client: Client) -> dict[str, Any]:
        if token.count(".") != 2:
            raise InvalidRequestError("login_hint_token is not a signed JWT")
        try:
            header = orjson.loads(b64url_decode(token.split(".")[0]))
        except (binascii.Error, ValueError):
            raise InvalidRequestError("login_hint_token is not a signed JWT") from None
        alg = header.get("alg") if isinstance(header, dict) else None
        if not isinstance(alg, str) or alg not in SIGNED_ALGS:
            raise InvalidRequestError(f"unsupported login_hint_token alg: {alg!r:.40}")
        try:
            jwks = await self._client_keys.jwks(client)
        except FetchFailedError as exc:
            raise InvalidRequestError(f"the client's jwks_uri failed: {exc}") from None
        payload = verify_client_jws(token, alg, header.get("kid"), jwks)
        if payload is None:
            raise InvalidRequestError("login_hint_token's signature does not verify")
        try:
            claims = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise InvalidRequestError("login_hint_token is not a JWT") from None
        if not isinstance(claims, dict):
            raise InvalidRequestError("login_hint_token is not a JWT")
        return claims

    async def _by_subject(self, sub: str, client: Client) -> int | None:
        """The user that ``sub`` is for this client (OIDC Core §8): the user id, or for a
        pairwise client the one of its users whose pairwise value it is."""
        if client.meta("subject_type") != "pairwise":
            return int(sub) if sub.isascii() and sub.isdigit() and len(sub) < 19 else None
        for user_id in await self._hinted.users_of_client(client.client_id):
            if self._subjects.for_client(user_id, client) == sub:
                return user_id
        return None
