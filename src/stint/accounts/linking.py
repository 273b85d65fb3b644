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

import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import anyio
import anyio.to_thread

from stint.accounts.models import LinkedIdentity, User
from stint.accounts.ports import LastIdentityError, UpstreamIdentityStore, UserStore
from stint.accounts.service import AccountService

__all__ = [
    "DEFAULT_PIPELINE",
    "AccountLinker",
    "Connection",
    "LinkingPolicy",
    "LinkingPorts",
    "RefusalReason",
    "SignInAttempt",
    "SignInRefused",
    "Step",
    "UpstreamSignIn",
    "resolve_step",
]

_log = logging.getLogger(__name__)


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
    label: str = ""  # the provider as people know it ("GitHub"), in messages; default: its name
    # python-social-auth's WHITELISTED_DOMAINS / WHITELISTED_EMAILS: when either is set, only
    # people whose address the provider asserted verified, and is listed, may sign in.
    allowed_domains: frozenset[str] = frozenset()
    allowed_emails: frozenset[str] = frozenset()


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


@dataclass(frozen=True)
class LinkingPorts:
    """What the steps read and write through: the pipeline's storage and account service."""

    users: UserStore
    identities: UpstreamIdentityStore
    accounts: AccountService
    clock: Callable[[], datetime]


@dataclass
class SignInAttempt:
    """What the pipeline's steps read and fill in, in python-social-auth's names."""

    sign_in: UpstreamSignIn
    policy: LinkingPolicy
    ports: LinkingPorts = field(repr=False)
    # Connecting from /account: the signed-in account to link the identity to.
    connecting_user: User | None = None
    details: dict[str, Any] = field(default_factory=dict)
    uid: str = ""
    user: User | None = None  # the account this sign-in ends in
    social: LinkedIdentity | None = None  # the identity linked to it
    username: str = ""  # for a new account
    is_new: bool = False  # the account was created by this sign-in
    new_association: bool = False  # the identity was linked by this sign-in
    extra: dict[str, Any] = field(default_factory=dict)  # for operator steps

    @property
    def provider_label(self) -> str:
        return self.policy.label or self.sign_in.provider


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


def resolve_step(path: str) -> Step:
    """The function a dotted path names; ValueError (at start-up) when there is none."""
    module_name, _, name = path.rpartition(".")
    try:
        step = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"pipeline step {path!r} cannot be imported: {exc}") from None
    if not callable(step):
        raise ValueError(f"pipeline step {path!r} is not a function")
    return step  # type: ignore[no-any-return]


class AccountLinker:
    """Runs the pipeline for an upstream sign-in, lists and removes connections.

    A step is a plain or async function of the attempt. A plain one (an operator's, say, that
    asks some directory over blocking HTTP) runs in a worker thread, off the event loop.
    """

    def __init__(
        self,
        users: UserStore,
        identities: UpstreamIdentityStore,
        accounts: AccountService,
        *,
        pipeline: Sequence[str | Step] = DEFAULT_PIPELINE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ports = LinkingPorts(users, identities, accounts, clock)
        self._steps = tuple(resolve_step(s) if isinstance(s, str) else s for s in pipeline)

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
        attempt = SignInAttempt(sign_in, policy, self._ports, connecting_user=connecting_user)
        try:
            for step in self._steps:
                if inspect.iscoroutinefunction(step):
                    await step(attempt)
                else:
                    result = await anyio.to_thread.run_sync(step, attempt)
                    if inspect.isawaitable(result):  # a callable object with an async __call__
                        await result
            if attempt.user is None or attempt.social is None:
                raise SignInRefused(
                    RefusalReason.NOT_ALLOWED, "This sign-in did not end in an account."
                )
            await self._ports.identities.touch(attempt.social.id, self._ports.clock())
        except BaseException:
            with anyio.CancelScope(shield=True):  # undone even when the request is cancelled
                await self._undo(attempt)
            raise
        return attempt

    async def connections(self, user_id: int) -> list[Connection]:
        return [
            Connection(i.provider, i.uid, i.display, i.linked_at, i.last_used_at)
            for i in await self._ports.identities.for_user(user_id)
        ]

    async def disconnect(
        self, user_id: int, provider: str, uid: str, *, usable: Collection[str] | None = None
    ) -> None:
        """Unlink; raises SignInRefused(LAST_SIGN_IN_METHOD) when the account has no password
        and no other connection to a ``usable`` provider (one still offered; None: any)."""
        user = await self._ports.users.by_id(user_id)
        if user is None:
            return
        keep_last = not self._ports.accounts.has_usable_password(user)
        try:
            await self._ports.identities.unlink(
                user_id, provider, uid, keep_last=keep_last, usable=usable
            )
        except LastIdentityError:
            raise SignInRefused(
                RefusalReason.LAST_SIGN_IN_METHOD,
                "This is your only way to sign in. Set a password or connect another provider "
                "first.",
            ) from None

    async def _undo(self, attempt: SignInAttempt) -> None:
        """Remove what this attempt made: the new account (its identity goes with it), or the
        identity it linked to an existing account. A failure here is logged, and the error that
        stopped the sign-in is the one raised."""
        try:
            if attempt.is_new and attempt.user is not None:
                await self._ports.users.delete(attempt.user.id)
                self._ports.accounts.forget(attempt.user.id)
            elif attempt.new_association and attempt.social is not None:
                social = attempt.social
                await self._ports.identities.unlink(
                    social.user_id, social.provider, social.uid, keep_last=False
                )
        except Exception:
            # An account left with no password and no identity cannot be signed in to.
            _log.exception("could not undo a refused sign-in through %s", attempt.sign_in.provider)
