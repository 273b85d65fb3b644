"""Linking upstream identities to accounts: python-social-auth's pipeline, safe by default.

An upstream identity is keyed by (provider, uid), unique: it signs in to the one account it is
linked to. Stint never signs someone in to an existing account because an email address matches
(an attacker may register that address at some provider): a first upstream sign-in whose email
belongs to an account is refused with "sign in and connect it from /account". An operator may
enable email auto-linking per provider; it then links only when the provider asserted the address
verified and the account's own address is verified.

The pipeline is an ordered list of named steps (``DEFAULT_PIPELINE``); an operator replaces or
extends it by dotted paths (``stint.toml``: ``social_pipeline = [...]``). A step is a plain or
async function of the ``SignInAttempt``; it may fill in its fields or raise ``SignInRefused``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from stint.accounts.models import User

__all__ = [
    "DEFAULT_PIPELINE",
    "AccountLinker",
    "Connection",
    "LinkingPolicy",
    "RefusalReason",
    "SignInAttempt",
    "SignInRefused",
    "Step",
    "UpstreamSignIn",
]


@dataclass(frozen=True)
class UpstreamSignIn:
    """What the provider said about the person (from stint.connectors' UpstreamIdentity)."""

    provider: str
    uid: str
    details: dict[str, Any]  # username, email, fullname, first_name, last_name
    email_verified: bool = False
    extra_data: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class LinkingPolicy:
    """The operator's choices for one provider."""

    auto_link_email: bool = False  # link to the account with this verified email (see above)
    store_tokens: bool = False  # keep the upstream tokens (sealed) beside the identity
    allow_sign_up: bool = True  # a new upstream person may get a new Stint account


class RefusalReason(Enum):
    EMAIL_TAKEN = "email_taken"  # an account holds the email: sign in and connect instead
    IDENTITY_TAKEN = "identity_taken"  # connecting an identity another account holds
    NOT_ALLOWED = "not_allowed"  # a step (or the operator's) refused this person
    SIGN_UP_CLOSED = "sign_up_closed"  # no account is linked and new ones are not made
    ACCOUNT_DISABLED = "account_disabled"
    LAST_SIGN_IN_METHOD = "last_sign_in_method"  # disconnecting would lock the person out


class SignInRefused(Exception):
    """The pipeline stopped; ``message`` is shown to the person as it is."""

    def __init__(self, reason: RefusalReason, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


@dataclass
class SignInAttempt:
    """What the pipeline's steps read and fill in, in python-social-auth's names."""

    sign_in: UpstreamSignIn
    policy: LinkingPolicy
    # Connecting from /account: the signed-in account to link the identity to.
    connecting_user: User | None = None
    details: dict[str, Any] = field(default_factory=dict)
    uid: str = ""
    user: User | None = None  # the account this sign-in ends in
    username: str = ""  # for a new account
    is_new: bool = False  # the account was created by this sign-in
    new_association: bool = False  # the identity was linked by this sign-in
    extra: dict[str, Any] = field(default_factory=dict)  # for operator steps


Step = Callable[[SignInAttempt], Awaitable[None] | None]


@dataclass(frozen=True)
class Connection:
    """One upstream identity linked to an account, as /account lists it."""

    provider: str
    uid: str
    display: str  # what the person knows it by (login name or email at the provider)
    linked_at: datetime
    last_used_at: datetime | None


# python-social-auth's default pipeline, as Stint's steps (stint.accounts.linking_steps).
DEFAULT_PIPELINE: tuple[str, ...] = (
    "stint.accounts.linking_steps.social_details",
    "stint.accounts.linking_steps.social_uid",
    "stint.accounts.linking_steps.auth_allowed",
    "stint.accounts.linking_steps.social_user",
    "stint.accounts.linking_steps.get_username",
    "stint.accounts.linking_steps.create_user",
    "stint.accounts.linking_steps.associate_user",
    "stint.accounts.linking_steps.load_extra_data",
    "stint.accounts.linking_steps.user_details",
)


class AccountLinker:
    """Runs the pipeline for an upstream sign-in, lists and removes connections."""

    async def sign_in(
        self,
        sign_in: UpstreamSignIn,
        policy: LinkingPolicy,
        *,
        connecting_user: User | None = None,
    ) -> SignInAttempt:
        """Run the pipeline; the attempt's ``user`` is the account to sign in (or that was
        connected). Raises SignInRefused. Nothing is half-created: a refusal after
        ``create_user`` leaves no account behind."""
        raise NotImplementedError

    async def connections(self, user_id: int) -> list[Connection]:
        raise NotImplementedError

    async def disconnect(self, user_id: int, provider: str, uid: str) -> None:
        """Unlink; raises SignInRefused(LAST_SIGN_IN_METHOD) when the account has no password
        and this is its only connection."""
        raise NotImplementedError
