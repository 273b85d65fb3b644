"""Account linking on the in-memory stores: an upstream identity signs in to the one account it
is linked to; an email match never signs anyone in unless the operator allows it and both sides
verified the address; a refused sign-in leaves nothing behind; the last way in is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from stint.accounts.linking import (
    DEFAULT_PIPELINE,
    AccountLinker,
    LinkingPolicy,
    RefusalReason,
    SignInAttempt,
    SignInRefused,
    Step,
    UpstreamSignIn,
)
from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.models import User
from stint.accounts.service import AccountService
from stint.accounts.throttle import LoginThrottle, ThrottleLimits
from stint.accounts.usernames import username_problem
from tests.conftest import FAST_HASHING
from tests.support.accounts_memory import MemoryUpstreamIdentities, MemoryUserStore
from tests.support.clock import Clock

pytestmark = pytest.mark.anyio

OPEN = LinkingPolicy(label="GitHub")
AUTO_LINK = LinkingPolicy(label="GitHub", auto_link_email=True)
EMAIL_TAKEN = (
    "An account with this email already exists. Sign in with your password, then connect "
    "GitHub from your account page."
)


def octocat(
    uid: str = "583231", *, email: str = "octocat@example.com", verified: bool = True, **more: Any
) -> UpstreamSignIn:
    details = {"username": "octocat", "email": email, "fullname": "The Octocat", **more}
    return UpstreamSignIn(
        "github",
        uid,
        details,
        email_verified=verified,
        extra_data={"login": "octocat", "id": int(uid) if uid.isdigit() else 0},
        tokens={"access_token": "gho_token", "token_type": "bearer"},
    )


@dataclass
class Site:
    users: MemoryUserStore
    identities: MemoryUpstreamIdentities
    accounts: AccountService
    clock: Clock

    def linker(self, *extra: tuple[str, Step | str]) -> AccountLinker:
        """The default pipeline, with each ``(after, step)`` inserted after the step named."""
        pipeline: list[Step | str] = list(DEFAULT_PIPELINE)
        for after, step in extra:
            at = next(i for i, s in enumerate(pipeline) if str(s).endswith("." + after))
            pipeline.insert(at + 1, step)
        return AccountLinker(
            self.users, self.identities, self.accounts, pipeline=pipeline, clock=self.clock
        )

    async def member(
        self, name: str, *, email: str | None = None, verified: bool = False, password: bool = True
    ) -> User:
        profile = {"email": email, "email_verified": verified} if email else None
        return await self.users.add(
            username=name,
            username_key=name.casefold(),
            password_hash=FAST_HASHING.hash("a long enough passphrase") if password else "!x",
            profile=profile,
        )


@pytest.fixture
def site() -> Site:
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    users, identities = MemoryUserStore(clock), MemoryUpstreamIdentities(clock)
    users.identities = identities
    throttle = LoginThrottle(MemoryCounterStore(), ThrottleLimits(10, 50, 300))
    accounts = AccountService(users, FAST_HASHING, throttle, cache_key=b"k" * 32)
    return Site(users, identities, accounts, clock)


async def _refused(linker: AccountLinker, sign_in: UpstreamSignIn, **kwargs: Any) -> SignInRefused:
    policy = kwargs.pop("policy", OPEN)
    with pytest.raises(SignInRefused) as refused:
        await linker.sign_in(sign_in, policy, **kwargs)
    return refused.value


# First sign-in, and the next ones


async def test_a_first_sign_in_creates_an_account_without_a_password(site: Site) -> None:
    attempt = await site.linker().sign_in(octocat(), OPEN)
    user = attempt.user
    assert user is not None and attempt.is_new and attempt.new_association
    assert user.username == "octocat"
    assert not site.accounts.has_usable_password(user)
    profile = await site.users.profile(user.id)
    # The address as the provider gave it, not verified: Stint has not verified it.
    assert profile is not None and profile[1] == {
        "email": "octocat@example.com",
        "name": "The Octocat",
    }
    [identity] = await site.identities.for_user(user.id)
    assert (identity.provider, identity.uid, identity.display) == ("github", "583231", "octocat")
    assert identity.extra_data == {"login": "octocat", "id": 583231}
    assert identity.last_used_at == site.clock.now
    assert await site.identities.tokens(identity.id) is None  # the operator did not keep them


async def test_the_next_sign_in_of_the_identity_reaches_the_same_account(site: Site) -> None:
    linker = site.linker()
    first = await linker.sign_in(octocat(), OPEN)
    site.clock.advance(86400)
    again = await linker.sign_in(octocat(username="octocat-renamed"), OPEN)
    assert again.user == first.user
    assert not again.is_new and not again.new_association
    assert len(site.users.users) == 1
    [identity] = await site.identities.for_user(first.user.id if first.user else 0)
    assert identity.display == "octocat-renamed"
    assert identity.last_used_at == site.clock.now


async def test_the_same_uid_at_another_provider_is_another_person(site: Site) -> None:
    linker = site.linker()
    first = await linker.sign_in(octocat(email="a@example.com"), OPEN)
    other = UpstreamSignIn("gitlab", "583231", {"username": "octocat", "email": "b@example.com"})
    second = await linker.sign_in(other, OPEN)
    assert second.user is not None and first.user is not None
    assert second.user.id != first.user.id
    assert second.user.username != "octocat"  # taken: suffixed, still valid
    assert username_problem(second.user.username) is None


async def test_sign_up_closed_refuses_new_people_but_not_linked_ones(site: Site) -> None:
    linker = site.linker()
    closed = LinkingPolicy(label="GitHub", allow_sign_up=False)
    refused = await _refused(linker, octocat(), policy=closed)
    assert refused.reason is RefusalReason.SIGN_UP_CLOSED
    assert site.users.users == {}
    alice = await site.member("alice")
    await site.identities.link(alice.id, "github", "583231")
    assert (await linker.sign_in(octocat(), closed)).user == alice


async def test_a_disabled_accounts_identity_does_not_sign_in(site: Site) -> None:
    alice = await site.member("alice")
    await site.identities.link(alice.id, "github", "583231")
    await site.users.set_disabled(alice.id, True)
    refused = await _refused(site.linker(), octocat())
    assert refused.reason is RefusalReason.ACCOUNT_DISABLED


async def test_a_sign_in_without_a_uid_is_refused(site: Site) -> None:
    refused = await _refused(site.linker(), octocat(uid=""))
    assert refused.reason is RefusalReason.NOT_ALLOWED
    assert site.users.users == {}


# Email matches


@pytest.mark.parametrize("email", ["octocat@example.com", "OctoCat@Example.COM"])
async def test_an_email_an_account_holds_is_told_to_sign_in_and_connect(
    site: Site, email: str
) -> None:
    alice = await site.member("alice", email="octocat@example.com", verified=True)
    refused = await _refused(site.linker(), octocat(email=email, verified=True))
    assert refused.reason is RefusalReason.EMAIL_TAKEN
    assert refused.message == EMAIL_TAKEN
    assert list(site.users.users) == [alice.id]  # nothing was created
    assert site.identities.rows == {}


async def test_auto_linking_links_when_both_sides_verified_the_address(site: Site) -> None:
    alice = await site.member("alice", email="Octocat@example.com", verified=True)
    attempt = await site.linker().sign_in(octocat(verified=True), AUTO_LINK)
    assert attempt.user == alice and not attempt.is_new and attempt.new_association
    assert await site.identities.by_provider_uid("github", "583231") is not None
    assert site.accounts.has_usable_password(alice)  # the account is as it was


@pytest.mark.parametrize(
    ("provider_verified", "local_verified"),
    [(False, True), (True, False), (False, False)],
    ids=["provider-unverified", "local-unverified", "neither"],
)
async def test_auto_linking_never_links_an_unverified_address(
    site: Site, provider_verified: bool, local_verified: bool
) -> None:
    await site.member("alice", email="octocat@example.com", verified=local_verified)
    refused = await _refused(site.linker(), octocat(verified=provider_verified), policy=AUTO_LINK)
    assert refused.reason is RefusalReason.EMAIL_TAKEN
    assert len(site.users.users) == 1 and site.identities.rows == {}


async def test_auto_linking_refuses_when_two_accounts_verified_the_address(site: Site) -> None:
    await site.member("alice", email="octocat@example.com", verified=True)
    await site.member("bob", email="octocat@example.com", verified=True)
    refused = await _refused(site.linker(), octocat(), policy=AUTO_LINK)
    assert refused.reason is RefusalReason.EMAIL_TAKEN


async def test_auto_linking_to_a_disabled_account_is_refused(site: Site) -> None:
    alice = await site.member("alice", email="octocat@example.com", verified=True)
    await site.users.set_disabled(alice.id, True)
    refused = await _refused(site.linker(), octocat(), policy=AUTO_LINK)
    assert refused.reason is RefusalReason.ACCOUNT_DISABLED
    assert site.identities.rows == {}


# Connecting from /account


async def test_connecting_links_the_identity_to_the_signed_in_account(site: Site) -> None:
    alice = await site.member("alice", email="alice@example.com", verified=True)
    # The provider's address belongs to another account: connecting is not about addresses.
    await site.member("bob", email="octocat@example.com", verified=True)
    attempt = await site.linker().sign_in(octocat(), OPEN, connecting_user=alice)
    assert attempt.user == alice and attempt.new_association and not attempt.is_new
    assert (await site.linker().sign_in(octocat(), OPEN)).user == alice  # and signs in to it


async def test_connecting_an_identity_another_account_holds_is_refused(site: Site) -> None:
    alice, bob = await site.member("alice"), await site.member("bob")
    await site.identities.link(bob.id, "github", "583231")
    refused = await _refused(site.linker(), octocat(), connecting_user=alice)
    assert refused.reason is RefusalReason.IDENTITY_TAKEN
    identity = await site.identities.by_provider_uid("github", "583231")
    assert identity is not None and identity.user_id == bob.id


async def test_connecting_an_identity_already_yours_changes_nothing(site: Site) -> None:
    alice = await site.member("alice")
    linked = await site.identities.link(alice.id, "github", "583231")
    attempt = await site.linker().sign_in(octocat(), OPEN, connecting_user=alice)
    assert attempt.social is not None and attempt.social.id == linked.id
    assert not attempt.new_association


# Usernames, details, tokens


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"username": "Zoë Ünïcode!!"}, "Zoe-Unicode"),
        ({"email": "_.jo@example.com"}, "user"),  # too short once cleaned
        ({"first_name": "Ada", "last_name": "Lovelace"}, "Ada-Lovelace"),
        ({}, "user"),
        ({"username": "x" * 80}, "x" * 27),
    ],
)
async def test_a_new_username_is_valid_whatever_the_provider_sent(
    site: Site, details: dict[str, Any], expected: str
) -> None:
    attempt = await site.linker().sign_in(UpstreamSignIn("gitlab", "9", details), OPEN)
    assert attempt.user is not None
    assert attempt.user.username == expected
    assert username_problem(attempt.user.username) is None


async def test_a_taken_username_gets_a_suffix(site: Site) -> None:
    await site.member("octocat")
    attempt = await site.linker().sign_in(octocat(email="new@example.com"), OPEN)
    assert attempt.user is not None
    assert attempt.user.username.startswith("octocat-")
    assert username_problem(attempt.user.username) is None


async def test_tokens_are_kept_sealed_only_when_the_operator_stores_them(site: Site) -> None:
    linker = site.linker()
    keeping = LinkingPolicy(label="GitHub", store_tokens=True)
    attempt = await linker.sign_in(octocat(), keeping)
    assert attempt.social is not None
    assert await site.identities.tokens(attempt.social.id) == {
        "access_token": "gho_token",
        "token_type": "bearer",
    }
    await linker.sign_in(octocat(), OPEN)  # the operator stopped storing them: forgotten
    assert await site.identities.tokens(attempt.social.id) is None


async def test_an_account_without_a_name_takes_the_providers(site: Site) -> None:
    alice, bob = await site.member("alice"), await site.member("bob")
    await site.users.set_profile(bob.id, {"name": "Robert"})
    for user, uid in [(alice, "1"), (bob, "2")]:
        await site.linker().sign_in(octocat(uid), OPEN, connecting_user=user)
    alices, bobs = await site.users.profile(alice.id), await site.users.profile(bob.id)
    assert alices is not None and alices[1] == {"name": "The Octocat"}
    assert bobs is not None and bobs[1] == {"name": "Robert"}


# The operator's allow-list and steps


async def test_an_allowed_domain_admits_only_verified_addresses_in_it(site: Site) -> None:
    policy = LinkingPolicy(label="GitHub", allowed_domains=frozenset({"Example.com"}))
    linker = site.linker()
    assert (await linker.sign_in(octocat(email="a@EXAMPLE.com"), policy)).user is not None
    for refused_sign_in in (
        octocat("2", email="b@example.com", verified=False),
        octocat("3", email="c@example.org"),
        octocat("4", email="c@sub.example.com"),
    ):
        refused = await _refused(linker, refused_sign_in, policy=policy)
        assert refused.reason is RefusalReason.NOT_ALLOWED
    assert len(site.users.users) == 1


def refuse_after_create_user(attempt: SignInAttempt) -> None:
    """An operator's plain step (run in a worker thread) that turns the person away."""
    assert attempt.is_new and attempt.user is not None
    raise SignInRefused(RefusalReason.NOT_ALLOWED, "Not this one.")


async def refuse_async(attempt: SignInAttempt) -> None:
    raise SignInRefused(RefusalReason.NOT_ALLOWED, "Not this one either.")


async def crash(attempt: SignInAttempt) -> None:
    raise RuntimeError("the operator's directory is down")


@pytest.mark.parametrize(
    ("after", "step"),
    [
        ("create_user", "tests.accounts.test_linking.refuse_after_create_user"),
        ("create_user", refuse_async),
        ("associate_user", refuse_async),
        ("user_details", crash),
    ],
    ids=["plain-by-dotted-path", "async", "after-associate", "unexpected-error"],
)
async def test_a_refusal_after_create_user_leaves_no_account_behind(
    site: Site, after: str, step: Step | str
) -> None:
    linker = site.linker((after, step))
    with pytest.raises((SignInRefused, RuntimeError)):
        await linker.sign_in(octocat(), OPEN)
    assert site.users.users == {}
    assert site.identities.rows == {}
    # The person may come back once the operator lets them: nothing stands in the way.
    assert (await site.linker().sign_in(octocat(), OPEN)).user is not None


async def test_an_undo_that_fails_still_reports_why_the_sign_in_stopped(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def database_gone(user_id: int) -> bool:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(site.users, "delete", database_gone)
    refused = await _refused(site.linker(("create_user", refuse_async)), octocat())
    assert refused.message == "Not this one either."
    assert "could not undo a refused sign-in through github" in caplog.text


async def test_a_refusal_after_connecting_unlinks_and_keeps_the_account(site: Site) -> None:
    alice = await site.member("alice")
    linker = site.linker(("associate_user", refuse_async))
    await _refused(linker, octocat(), connecting_user=alice)
    assert site.identities.rows == {}
    assert await site.users.by_id(alice.id) == alice


async def test_an_operator_step_reads_and_fills_in_the_attempt(site: Site) -> None:
    seen: list[tuple[str, bool]] = []

    def remember(attempt: SignInAttempt) -> None:
        seen.append((attempt.username, attempt.sign_in.email_verified))
        attempt.extra["team"] = "octo"

    attempt = await site.linker(("get_username", remember)).sign_in(octocat(), OPEN)
    assert seen == [("octocat", True)]
    assert attempt.extra == {"team": "octo"}


async def test_a_pipeline_step_that_cannot_be_imported_stops_start_up(site: Site) -> None:
    with pytest.raises(ValueError, match=r"stint\.nowhere\.step"):
        site.linker(("social_uid", "stint.nowhere.step"))


async def test_a_pipeline_that_ends_without_an_account_refuses(site: Site) -> None:
    linker = AccountLinker(
        site.users, site.identities, site.accounts, pipeline=DEFAULT_PIPELINE[:4]
    )
    refused = await _refused(linker, octocat())
    assert refused.reason is RefusalReason.NOT_ALLOWED


# Connections and disconnecting


async def test_connections_list_what_the_account_linked(site: Site) -> None:
    alice = await site.member("alice")
    linker = site.linker()
    await linker.sign_in(octocat(), OPEN, connecting_user=alice)
    [connection] = await linker.connections(alice.id)
    assert (connection.provider, connection.uid, connection.display) == (
        "github",
        "583231",
        "octocat",
    )
    assert connection.linked_at == connection.last_used_at == site.clock.now
    assert await linker.connections(alice.id + 1) == []


async def test_an_account_with_a_password_may_disconnect_its_only_provider(site: Site) -> None:
    alice = await site.member("alice")
    linker = site.linker()
    await linker.sign_in(octocat(), OPEN, connecting_user=alice)
    await linker.disconnect(alice.id, "github", "583231")
    assert await linker.connections(alice.id) == []


async def test_the_last_way_to_sign_in_cannot_be_disconnected(site: Site) -> None:
    linker = site.linker()
    attempt = await linker.sign_in(octocat(), OPEN)
    user = attempt.user
    assert user is not None
    refused = await _refused_disconnect(linker, user.id, "github", "583231")
    assert refused.reason is RefusalReason.LAST_SIGN_IN_METHOD
    await linker.sign_in(UpstreamSignIn("gitlab", "7", {}), OPEN, connecting_user=user)
    await linker.disconnect(user.id, "github", "583231")  # another way in remains
    assert [c.provider for c in await linker.connections(user.id)] == ["gitlab"]
    refused = await _refused_disconnect(linker, user.id, "gitlab", "7")
    assert refused.reason is RefusalReason.LAST_SIGN_IN_METHOD


async def test_disconnecting_someone_elses_identity_does_nothing(site: Site) -> None:
    alice, bob = await site.member("alice"), await site.member("bob")
    await site.identities.link(bob.id, "github", "583231")
    await site.linker().disconnect(alice.id, "github", "583231")
    assert await site.identities.by_provider_uid("github", "583231") is not None


async def _refused_disconnect(
    linker: AccountLinker, user_id: int, provider: str, uid: str, **more: Any
) -> SignInRefused:
    with pytest.raises(SignInRefused) as refused:
        await linker.disconnect(user_id, provider, uid, **more)
    return refused.value


async def test_a_connection_to_a_removed_provider_is_not_a_way_to_sign_in(site: Site) -> None:
    # The operator removed gitlab: its identity stays linked but signs no one in, so the last
    # usable way in (github) is kept.
    linker = site.linker()
    user = (await linker.sign_in(octocat(), OPEN)).user
    assert user is not None
    await linker.sign_in(UpstreamSignIn("gitlab", "7", {}), OPEN, connecting_user=user)
    refused = await _refused_disconnect(linker, user.id, "github", "583231", usable={"github"})
    assert refused.reason is RefusalReason.LAST_SIGN_IN_METHOD
    await linker.disconnect(user.id, "gitlab", "7", usable={"github"})  # tidying up is fine
    assert [c.provider for c in await linker.connections(user.id)] == ["github"]
