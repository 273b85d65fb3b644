"""TotpService: enrolment confirmed by a code, sign-in codes used once, single-use recovery codes
kept as hashes, and wrong codes throttled per account (an injected clock, in-memory stores)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest

from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.second_factor import CodeCheck, SecondFactorLimits, TotpService
from stint.protocol.secrets import SecretHasher
from tests.support.clock import Clock
from tests.support.totp_memory import MemoryTotpStore

pytestmark = pytest.mark.anyio

USER = 7


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 6, 10, 0, 5, tzinfo=UTC))


@pytest.fixture
def store() -> MemoryTotpStore:
    return MemoryTotpStore()


@pytest.fixture
def totp(store: MemoryTotpStore, clock: Clock) -> TotpService:
    counters = MemoryCounterStore(clock=clock.timestamp)
    limits = SecondFactorLimits(failures=3, window_seconds=300)
    return TotpService(store, counters, SecretHasher(b"k" * 32), limits=limits, clock=clock)


def _wrong(app: pyotp.TOTP, clock: Clock) -> str:
    """A code matching no step of the drift window."""
    window = {app.at(clock.now, counter_offset=offset) for offset in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(10)) if c not in window)


async def _enrolled(totp: TotpService, clock: Clock) -> tuple[pyotp.TOTP, list[str]]:
    enrolment = await totp.start(USER, "alice")
    app = pyotp.TOTP(enrolment.secret)
    codes = await totp.confirm(USER, app.at(clock.now))
    assert isinstance(codes, list)
    clock.advance(30)  # the confirming code's step is used: the next sign-in is a step later
    return app, codes


async def test_a_secret_is_not_active_until_a_code_confirms_it(
    totp: TotpService, clock: Clock
) -> None:
    enrolment = await totp.start(USER, "alice")
    assert enrolment.uri.startswith("otpauth://totp/")
    assert not await totp.enrolled(USER)
    assert (await totp.verify(USER, pyotp.TOTP(enrolment.secret).at(clock.now))).check is (
        CodeCheck.WRONG
    )
    assert await totp.confirm(USER, _wrong(pyotp.TOTP(enrolment.secret), clock)) is (
        CodeCheck.WRONG
    )
    codes = await totp.confirm(USER, pyotp.TOTP(enrolment.secret).at(clock.now))
    assert isinstance(codes, list)
    assert await totp.enrolled(USER)


async def test_confirming_gives_ten_recovery_codes_kept_only_as_hashes(
    totp: TotpService, store: MemoryTotpStore, clock: Clock
) -> None:
    _, codes = await _enrolled(totp, clock)
    assert len(codes) == len(set(codes)) == 10
    kept = store.recovery[USER]
    assert len(kept) == 10
    assert not set(kept) & ({c.replace("-", "") for c in codes} | set(codes))
    assert await totp.recovery_codes_left(USER) == 10


async def test_a_sign_in_code_works_once(totp: TotpService, clock: Clock) -> None:
    app, _ = await _enrolled(totp, clock)
    code = app.at(clock.now)
    assert (await totp.verify(USER, code)).check is CodeCheck.OK
    assert (await totp.verify(USER, code)).check is CodeCheck.WRONG  # replayed in its window
    clock.advance(30)
    assert (await totp.verify(USER, app.at(clock.now))).check is CodeCheck.OK


async def test_the_confirming_code_cannot_sign_in(totp: TotpService, clock: Clock) -> None:
    enrolment = await totp.start(USER, "alice")
    code = pyotp.TOTP(enrolment.secret).at(clock.now)
    assert isinstance(await totp.confirm(USER, code), list)
    assert (await totp.verify(USER, code)).check is CodeCheck.WRONG


async def test_a_recovery_code_works_once_in_any_case_and_spacing(
    totp: TotpService, clock: Clock
) -> None:
    _, codes = await _enrolled(totp, clock)
    typed = codes[3].upper().replace("-", " ")
    verified = await totp.verify(USER, typed)
    assert (verified.check, verified.method) == (CodeCheck.OK, "otp")
    assert (await totp.verify(USER, codes[3])).check is CodeCheck.WRONG
    assert await totp.recovery_codes_left(USER) == 9


async def test_new_recovery_codes_replace_the_old_ones(totp: TotpService, clock: Clock) -> None:
    _, old = await _enrolled(totp, clock)
    new = await totp.new_recovery_codes(USER)
    assert not set(new) & set(old)
    assert (await totp.verify(USER, old[0])).check is CodeCheck.WRONG
    assert (await totp.verify(USER, new[0])).check is CodeCheck.OK


async def test_wrong_codes_are_throttled_even_the_right_one_after(
    totp: TotpService, clock: Clock
) -> None:
    app, _ = await _enrolled(totp, clock)
    for _ in range(3):
        assert (await totp.verify(USER, _wrong(app, clock))).check is CodeCheck.WRONG
    assert (await totp.verify(USER, app.at(clock.now))).check is CodeCheck.THROTTLED
    clock.advance(301)  # the window passed
    assert (await totp.verify(USER, app.at(clock.now))).check is CodeCheck.OK


async def test_turning_off_forgets_the_secret_and_the_codes(
    totp: TotpService, store: MemoryTotpStore, clock: Clock
) -> None:
    _, codes = await _enrolled(totp, clock)
    await totp.disable(USER)
    assert not await totp.enrolled(USER)
    assert (await totp.verify(USER, codes[0])).check is CodeCheck.WRONG
    assert USER not in store.recovery
