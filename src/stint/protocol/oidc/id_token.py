"""ID tokens (OpenID Connect Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11): claims, hashes, signing
with the client's registered algorithm, and encryption when the client registered a key (§10.2).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidRequestError
from stint.protocol.jws import SignerCache
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.claims import release
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.ports import ClaimsSource, ClientKeys, FetchFailedError
from stint.protocol.oidc.subject import SubjectIdentifiers

__all__ = ["DEFAULT_ID_TOKEN_ALG", "IdTokenIssuer", "half_hash"]

DEFAULT_ID_TOKEN_ALG = "ES256"  # noqa: S105 (an algorithm name)


def half_hash(value: str, alg: str) -> str:
    """at_hash / c_hash / s_hash: the left half of the hash the JWS alg uses (§3.1.3.6).

    §3.3.2.11 hashes "the ASCII representation" of the value: codes and tokens are ASCII, but a
    client's ``state`` may not be, so the UTF-8 bytes (the same bytes for ASCII) are hashed."""
    digest = hashlib.sha256(value.encode("utf-8")).digest()  # every alg we sign with is *256
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


class IdTokenIssuer:
    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str,
        ttl: int,
        subjects: SubjectIdentifiers,
        claims_source: ClaimsSource,
        client_keys: ClientKeys | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._ttl = ttl
        self._subjects = subjects
        self._claims = claims_source
        self._client_keys = client_keys
        self._signers = SignerCache()
        self._clock = clock

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def subjects(self) -> SubjectIdentifiers:
        return self._subjects

    async def issue(
        self,
        client: Client,
        user_id: int,
        auth: AuthContext,
        *,
        scopes: Iterable[str] = (),
        access_token: str | None = None,
        code: str | None = None,
        state: str | None = None,
        with_nonce: bool = True,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed (and, if registered, encrypted) ID token.

        ``scopes`` name the profile claims to include: only when no access token is issued for
        UserInfo (response_type=id_token, §5.4); claims requested by name come regardless (§5.5).
        """
        alg = self.alg_for(client, "id_token_signed_response_alg")
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": self._subjects.for_client(user_id, client),
            "aud": client.client_id,
            "exp": now + self._ttl,
            "iat": now,
            "auth_time": auth.auth_time,
            "azp": client.client_id,  # §2: the party the token was issued to
            "jti": secrets.token_urlsafe(12),
        }
        if auth.nonce is not None and with_nonce:
            claims["nonce"] = auth.nonce  # §3.1.3.6: exactly as the request sent it
        if auth.acr:
            claims["acr"] = auth.acr
        if auth.amr:
            claims["amr"] = list(auth.amr)
        if auth.sid:
            claims["sid"] = auth.sid  # Back-Channel Logout §2.1 / Front-Channel Logout §3
        if access_token is not None:
            claims["at_hash"] = half_hash(access_token, alg)
        if code is not None:
            claims["c_hash"] = half_hash(code, alg)
        if state is not None:
            claims["s_hash"] = half_hash(state, alg)  # FAPI 1.0 Advanced §5.2.2.1
        if extra_claims:
            claims.update(extra_claims)  # e.g. CIBA §10.3.1's auth_req_id and rt_hash
        scopes = list(scopes)
        if scopes or auth.claims.id_token:
            user_claims = await self._claims.claims(user_id)
            claims.update(release(user_claims, scopes=scopes, requested=auth.claims.id_token))
        signed = self.sign(client, claims, alg=alg)
        return await self.encrypt_if_registered(client, signed.encode("ascii"), "id_token", "JWT")

    def alg_for(self, client: Client, field: str) -> str:
        alg = client.meta(field) or DEFAULT_ID_TOKEN_ALG
        return alg if alg in self._keys.algorithms else DEFAULT_ID_TOKEN_ALG

    def sign(
        self, client: Client, claims: dict[str, Any], *, alg: str, typ: str | None = None
    ) -> str:
        return self._signers.get(self._keys.current_for(alg), typ).sign(claims)

    async def encrypt_if_registered(
        self, client: Client, payload: bytes, what: str, content_type: str
    ) -> str:
        """Encrypt ``payload`` for the client when it registered ``{what}_encrypted_response_alg``
        (Registration §2); otherwise return it as it is."""
        alg = client.meta(f"{what}_encrypted_response_alg")
        if not alg:
            return payload.decode("utf-8")
        # Imported here: only clients that registered encryption pay for joserfc's JWE module.
        from stint.protocol.oidc.jwe import (
            DEFAULT_CONTENT_ENCRYPTION,
            EncryptionError,
            encrypt_for_client,
        )

        enc = client.meta(f"{what}_encrypted_response_enc") or DEFAULT_CONTENT_ENCRYPTION
        try:
            if self._client_keys is not None:
                jwks = await self._client_keys.jwks(client)
            else:
                jwks = client.meta("jwks")
            return encrypt_for_client(
                payload,
                alg=alg,
                enc=enc,
                client_jwks=jwks,
                client_secret=None,
                content_type=content_type,
            )
        except (EncryptionError, FetchFailedError) as exc:
            # The client's registration is at fault (no usable key, jwks_uri down): say so in
            # the protocol's shape rather than fail the request with a 500.
            raise InvalidRequestError(f"cannot encrypt the {what} for this client: {exc}") from None

    async def userinfo_response(self, client: Client, claims: dict[str, Any]) -> tuple[str, bytes]:
        """The UserInfo body and its media type: JSON, or a signed and/or encrypted JWT (§5.3.2)."""
        signing_alg = client.meta("userinfo_signed_response_alg")
        if signing_alg:
            jwt_claims = {**claims, "iss": self._issuer, "aud": client.client_id}
            alg = self.alg_for(client, "userinfo_signed_response_alg")
            signed = self.sign(client, jwt_claims, alg=alg)
            body = await self.encrypt_if_registered(client, signed.encode(), "userinfo", "JWT")
            return "application/jwt", body.encode("ascii")
        if client.meta("userinfo_encrypted_response_alg"):
            body = await self.encrypt_if_registered(client, orjson.dumps(claims), "userinfo", "")
            return "application/jwt", body.encode("ascii")
        return "application/json", orjson.dumps(claims)
