"""The default pipeline's steps (``linking.DEFAULT_PIPELINE``), in python-social-auth's names.

Each reads and fills in the ``SignInAttempt``, or raises ``SignInRefused`` with the message the
person sees. An operator's step goes between them by dotted path and may use the same fields.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from stint.accounts.linking import RefusalReason, SignInAttempt, SignInRefused
from stint.accounts.models import User
from stint.accounts.ports import IdentityTakenError, UsernameTakenError
from stint.accounts.profile import ProfileError, checked_profile, email_key
from stint.accounts.usernames import MAX_LENGTH, MIN_LENGTH, username_key

__all__ = [
    "associate_user",
    "auth_allowed",
    "create_user",
    "get_username",
    "load_extra_data",
    "social_details",
    "social_uid",
    "social_user",
    "user_details",
]

_NOT_USERNAME = re.compile(r"[^A-Za-z0-9._-]+")
_SUFFIX = 5  # "-" and four hex digits, added when a username is taken
_TRIES = 8


async def social_details(attempt: SignInAttempt) -> None:
    """The person's details as the provider gave them, text trimmed."""
    attempt.details = {
        key: value.strip() if isinstance(value, str) else value
        for key, value in attempt.sign_in.details.items()
    }


async def social_uid(attempt: SignInAttempt) -> None:
    """The provider's stable id of the person: the identity's key, never their email."""
    attempt.uid = attempt.sign_in.uid
    if not attempt.uid:
        raise SignInRefused(
            RefusalReason.NOT_ALLOWED, f"{attempt.provider_label} did not say who you are."
        )


async def auth_allowed(attempt: SignInAttempt) -> None:
    """The operator's allow-lists, when set: a verified address, listed or of a listed domain."""
    policy = attempt.policy
    if not policy.allowed_domains and not policy.allowed_emails:
        return
    email = attempt.details.get("email")
    if attempt.sign_in.email_verified and isinstance(email, str) and "@" in email:
        key = email_key(email)
        domain = key.rpartition("@")[2]
        if key in {email_key(e) for e in policy.allowed_emails} or domain in {
            d.casefold() for d in policy.allowed_domains
        }:
            return
    raise SignInRefused(
        RefusalReason.NOT_ALLOWED,
        f"Your {attempt.provider_label} account may not sign in here.",
    )


async def social_user(attempt: SignInAttempt) -> None:
    """The account this identity is linked to, if any; or, connecting, the signed-in account."""
    ports = attempt.ports
    social = await ports.identities.by_provider_uid(attempt.sign_in.provider, attempt.uid)
    connecting = attempt.connecting_user
    if connecting is not None:
        if social is not None and social.user_id != connecting.id:
            raise SignInRefused(
                RefusalReason.IDENTITY_TAKEN,
                f"This {attempt.provider_label} account is already connected to another "
                "account here.",
            )
        attempt.user, attempt.social = connecting, social
        return
    if social is None:
        return
    user = await ports.users.by_id(social.user_id)
    if user is None or user.disabled:
        raise SignInRefused(RefusalReason.ACCOUNT_DISABLED, "This account is disabled.")
    attempt.user, attempt.social = user, social


async def get_username(attempt: SignInAttempt) -> None:
    """For a new account: a free, valid username from what the provider said."""
    if attempt.user is not None:
        return
    base = _username_base(attempt.details)
    for candidate in _candidates(base):
        if await attempt.ports.users.by_username_key(username_key(candidate)) is None:
            attempt.username = candidate
            return
    attempt.username = _with_suffix(base)  # create_user tries again if this one is taken too


async def create_user(attempt: SignInAttempt) -> None:
    """A new account, without a password; never one whose email an account already holds."""
    if attempt.user is not None:
        return
    ports, policy = attempt.ports, attempt.policy
    email = attempt.details.get("email")
    if isinstance(email, str) and email:
        holders = await ports.users.by_email_key(email_key(email))
        if holders:
            attempt.user = _auto_linked(attempt, holders)
            return
    if not policy.allow_sign_up:
        raise SignInRefused(
            RefusalReason.SIGN_UP_CLOSED,
            f"There is no account here connected to this {attempt.provider_label} account, "
            "and new accounts are not being created.",
        )
    profile = _profile(attempt.details)
    username = attempt.username or _with_suffix(_username_base(attempt.details))
    for _ in range(_TRIES):
        try:
            attempt.user = await ports.accounts.register_without_password(username, profile)
        except UsernameTakenError:  # taken since get_username looked
            username = _with_suffix(username)
            continue
        attempt.username, attempt.is_new = username, True
        return
    raise SignInRefused(RefusalReason.NOT_ALLOWED, "No free username was found; try again.")


async def associate_user(attempt: SignInAttempt) -> None:
    """Link the identity to the account, when it is not linked yet."""
    if attempt.user is None or attempt.social is not None:
        return
    try:
        attempt.social = await attempt.ports.identities.link(
            attempt.user.id,
            attempt.sign_in.provider,
            attempt.uid,
            display=_display(attempt),
        )
    except IdentityTakenError:  # linked by a sign-in that ran alongside this one
        raise SignInRefused(
            RefusalReason.IDENTITY_TAKEN,
            f"This {attempt.provider_label} account is already connected to an account here; "
            "try signing in again.",
        ) from None
    attempt.new_association = True


async def load_extra_data(attempt: SignInAttempt) -> None:
    """What the provider said this time; its tokens only when the operator keeps them."""
    if attempt.social is None:
        return
    tokens = dict(attempt.sign_in.tokens) if attempt.policy.store_tokens else None
    await attempt.ports.identities.update(
        attempt.social.id,
        display=_display(attempt),
        extra_data=dict(attempt.sign_in.extra_data),
        tokens=tokens or None,
    )


async def user_details(attempt: SignInAttempt) -> None:
    """Fill in the account's name from the provider when it has none."""
    if attempt.user is None or attempt.is_new:
        return
    name = _fullname(attempt.details)
    found = await attempt.ports.users.profile(attempt.user.id)
    if not name or found is None or found[1].get("name"):
        return
    profile = {**found[1], **_profile({"fullname": name})}
    await attempt.ports.users.set_profile(attempt.user.id, profile)


def _auto_linked(attempt: SignInAttempt, holders: list[tuple[User, bool]]) -> User:
    """The one account to link to by email (when the operator allows it and both sides verified
    the address); otherwise refuse: someone may have registered that address at the provider."""
    verified = [user for user, local_verified in holders if local_verified]
    if attempt.policy.auto_link_email and attempt.sign_in.email_verified and len(verified) == 1:
        if verified[0].disabled:
            raise SignInRefused(RefusalReason.ACCOUNT_DISABLED, "This account is disabled.")
        return verified[0]
    raise SignInRefused(
        RefusalReason.EMAIL_TAKEN,
        "An account with this email already exists. Sign in with your password, then connect "
        f"{attempt.provider_label} from your account page.",
    )


def _profile(details: dict[str, Any]) -> dict[str, Any]:
    """The claims a new account starts with: the address unverified (Stint did not verify it)."""
    profile: dict[str, Any] = {}
    for claim, value in (("email", details.get("email")), ("name", _fullname(details))):
        try:
            profile.update(checked_profile({claim: value}))
        except ProfileError:
            continue  # a value Stint would not accept from its own form is left out
    return profile


def _fullname(details: dict[str, Any]) -> str:
    fullname = details.get("fullname")
    if isinstance(fullname, str) and fullname:
        return fullname
    parts = (details.get("first_name"), details.get("last_name"))
    return " ".join(p for p in parts if isinstance(p, str) and p)


def _display(attempt: SignInAttempt) -> str:
    for key in ("username", "email"):
        value = attempt.details.get(key)
        if isinstance(value, str) and value:
            return value
    return attempt.uid


def _username_base(details: dict[str, Any]) -> str:
    """A valid username from the provider's login name, address or name ('user' otherwise)."""
    email = details.get("email")
    local_part = email.partition("@")[0] if isinstance(email, str) else ""
    for source in (details.get("username"), local_part, _fullname(details)):
        if not isinstance(source, str):
            continue
        ascii_only = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode()
        cleaned = _NOT_USERNAME.sub("-", ascii_only).strip("._-")[: MAX_LENGTH - _SUFFIX]
        if len(cleaned) >= MIN_LENGTH:
            return cleaned
    return "user"


def _candidates(base: str) -> list[str]:
    return [base, *(_with_suffix(base) for _ in range(_TRIES - 1))]


def _with_suffix(username: str) -> str:
    base = username[: MAX_LENGTH - _SUFFIX]
    return f"{base}-{secrets.token_hex(2)}"
