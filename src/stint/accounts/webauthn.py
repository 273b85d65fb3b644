"""The WebAuthn ceremonies of passkeys (W3C WebAuthn Level 3 §7), with py_webauthn's checks.

Challenges are random, stored server-side, bound to their purpose and account, short-lived and
taken once (§13.4.3), so a replayed response finds its challenge gone; the sign count must grow
(§6.1.1), so a cloned authenticator's response is refused too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from stint.accounts.passkeys import ChallengeStore, NewPasskey, Passkey, PasskeyStore

__all__ = ["CHALLENGE_SECONDS", "PasskeyError", "PasskeySignIn", "Purpose", "WebAuthnCeremonies"]

CHALLENGE_SECONDS = 300  # §15.1: the ceremony's timeout is a few minutes
_TIMEOUT_MS = CHALLENGE_SECONDS * 1000
_MAX_RESPONSE = 16384


class Purpose(StrEnum):
    REGISTER = "register"
    SIGN_IN = "sign-in"  # with no password: the passkey is both factors (user verification)
    SECOND_FACTOR = "second-factor"  # after a password: possession is the second factor


class PasskeyError(Exception):
    """A ceremony failed; the message is for the log, never for the browser."""


@dataclass(frozen=True, slots=True)
class PasskeySignIn:
    """Who a verified assertion signed in, and how (RFC 8176 §2)."""

    user_id: int
    passkey: Passkey
    user_verified: bool

    @property
    def key_method(self) -> str:
        """``hwk`` for a key that never leaves its authenticator; ``swk`` for a synced one
        (backup eligible, WebAuthn L3 §6.1.3: a copy of the key lives outside the hardware)."""
        return "hwk" if self.passkey.device_bound else "swk"


class WebAuthnCeremonies:
    """Registration and authentication for one relying party: the issuer's host and origin."""

    def __init__(
        self,
        passkeys: PasskeyStore,
        challenges: ChallengeStore,
        *,
        origin: str,
        rp_id: str,
        rp_name: str,
        user_handle_key: bytes,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.passkeys = passkeys
        self._challenges = challenges
        self._origin = origin
        self._rp_id = rp_id
        self._rp_name = rp_name
        self._handle_key = hashlib.sha256(b"stint/webauthn-user/v1\0" + user_handle_key).digest()
        self._clock = clock

    def user_handle(self, user_id: int) -> bytes:
        """The account's stable user handle: no personal data, no user id (§14.6.1)."""
        return hmac.new(self._handle_key, str(user_id).encode(), hashlib.sha256).digest()

    async def registration_options(self, user_id: int, username: str) -> str:
        """The options for navigator.credentials.create() (§5.4), as JSON."""
        challenge = await self._new_challenge(Purpose.REGISTER, user_id)
        existing = await self.passkeys.for_user(user_id)
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name=self._rp_name,
            user_name=username,
            user_id=self.user_handle(user_id),
            challenge=challenge,
            timeout=_TIMEOUT_MS,
            # A discoverable credential signs in with no username (§5.4.6); user verification
            # is asked for, and needed later only to sign in with no password.
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[_descriptor(p) for p in existing],
        )
        return options_to_json(options)

    async def register(self, user_id: int, name: str, response: str) -> Passkey:
        """Verify a navigator.credentials.create() response (§7.1) and store its passkey."""
        try:
            credential = parse_registration_credential_json(_bounded(response))
        except (WebAuthnException, ValueError, TypeError) as exc:
            raise PasskeyError(f"malformed registration response: {exc}") from None
        challenge = await self._take(
            credential.response.client_data_json, Purpose.REGISTER, user_id
        )
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origin,
            )
        except (WebAuthnException, ValueError, TypeError) as exc:
            raise PasskeyError(f"registration refused: {exc}") from None
        transports = tuple(str(t.value) for t in credential.response.transports or ())
        return await self.passkeys.add(
            NewPasskey(
                user_id=user_id,
                credential_id=verified.credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
                name=name,
                device_bound=verified.credential_device_type is CredentialDeviceType.SINGLE_DEVICE,
            )
        )

    async def authentication_options(self, purpose: Purpose, user_id: int | None = None) -> str:
        """The options for navigator.credentials.get() (§5.5), as JSON. With no account
        (sign-in), no allowCredentials: the authenticator offers its discoverable passkeys."""
        challenge = await self._new_challenge(purpose, user_id)
        allow = [_descriptor(p) for p in await self.passkeys.for_user(user_id)] if user_id else []
        options = generate_authentication_options(
            rp_id=self._rp_id,
            challenge=challenge,
            timeout=_TIMEOUT_MS,
            allow_credentials=allow,
            user_verification=(
                UserVerificationRequirement.REQUIRED
                if purpose is Purpose.SIGN_IN
                else UserVerificationRequirement.PREFERRED
            ),
        )
        return options_to_json(options)

    async def authenticate(
        self, purpose: Purpose, response: str, user_id: int | None = None
    ) -> PasskeySignIn:
        """Verify a navigator.credentials.get() response (§7.2); ``user_id``: the account a
        second factor must belong to."""
        try:
            credential = parse_authentication_credential_json(_bounded(response))
        except (WebAuthnException, ValueError, TypeError) as exc:
            raise PasskeyError(f"malformed authentication response: {exc}") from None
        challenge = await self._take(credential.response.client_data_json, purpose, user_id)
        passkey = await self.passkeys.by_credential_id(credential.raw_id)
        if passkey is None:
            raise PasskeyError("no such passkey")
        if user_id is not None and passkey.user_id != user_id:
            raise PasskeyError("the passkey belongs to another account")  # §7.2 step 6
        handle = credential.response.user_handle
        if handle is not None and not hmac.compare_digest(
            handle, self.user_handle(passkey.user_id)
        ):
            raise PasskeyError("the user handle is not the passkey's account's")  # §7.2 step 6
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origin,
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                # §7.2 step 17: with no password, the passkey must be two factors in itself.
                require_user_verification=purpose is Purpose.SIGN_IN,
            )
        except (WebAuthnException, ValueError, TypeError) as exc:
            raise PasskeyError(f"assertion refused: {exc}") from None
        # §7.2 step 21: a count that did not grow (two uses raced with one count) is a clone.
        if not await self.passkeys.record_use(
            passkey.id, passkey.sign_count, verified.new_sign_count, self._clock()
        ):
            raise PasskeyError("the sign count did not grow")
        return PasskeySignIn(passkey.user_id, passkey, verified.user_verified)

    async def _new_challenge(self, purpose: Purpose, user_id: int | None) -> bytes:
        challenge = secrets.token_bytes(32)  # §13.4.3: at least 16 random bytes
        await self._challenges.put(challenge, purpose.value, user_id, CHALLENGE_SECONDS)
        return challenge

    async def _take(self, client_data_json: bytes, purpose: Purpose, user_id: int | None) -> bytes:
        """The challenge the response signed, taken once, if issued here for this ceremony."""
        try:
            challenge = parse_client_data_json(client_data_json).challenge
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise PasskeyError(f"malformed clientDataJSON: {exc}") from None
        issued = await self._challenges.take(challenge)
        if issued is None:
            raise PasskeyError("unknown, used or expired challenge")
        if issued.purpose != purpose.value or issued.user_id != user_id:
            raise PasskeyError("the challenge was issued for another ceremony")
        return challenge


def _bounded(response: str) -> dict[str, Any]:
    if len(response) > _MAX_RESPONSE:
        raise ValueError("response too large")
    value = json.loads(response)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    transports = [AuthenticatorTransport(t) for t in passkey.transports if t in known]
    return PublicKeyCredentialDescriptor(id=passkey.credential_id, transports=transports)
